import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { conflict, HttpProblem, invalid, notFound } from '../platform/http/problem';
import type { RegionService } from '../regions/service';
import { CHANNEL_LEVELS, generatedPrice, margins, PRICE_LEVELS, type PriceLevel, type PriceRules, priceRulesSchema, REGION_TIERS, regionTier, type RegionTier } from './rules';

export interface PriceRow {
  sku_id: string;
  gtin: string;
  name: string;
  base_price: number;
  region_tier: RegionTier;
  prices: Record<PriceLevel, number>;
  overridden: PriceLevel[];
  margins: Record<(typeof CHANNEL_LEVELS)[number], number>;
}

interface Override { region_code: string; sku_id: string; channel_level: PriceLevel; price: number | null; effective_from: string; id: number }

/** An override may move a price, not make it absurd: it stays within this factor of the generated price. */
const OVERRIDE_FACTOR = 3;

export function createPricingService({ db, regions }: { db: Db; regions: RegionService }) {
  async function rulesAt(date: string): Promise<{ id: string; effective_from: string; rules: PriceRules } | undefined> {
    const row = await db.selectFrom('price_rule_sets').selectAll().where('effective_from', '<=', date).orderBy('effective_from', 'desc').limit(1).executeTakeFirst();
    return row ? { id: row.id, effective_from: toDay(row.effective_from), rules: priceRulesSchema.parse(row.rules) } : undefined;
  }

  async function basePricesAt(date: string, skuIds?: string[]): Promise<Map<string, number>> {
    let q = db
      .selectFrom('sku_base_prices')
      .select(['sku_id', 'price_cny'])
      .distinctOn('sku_id')
      .where('effective_from', '<=', date);
    if (skuIds) q = q.where('sku_id', 'in', skuIds.length ? skuIds : ['00000000-0000-0000-0000-000000000000']);
    const rows = await q.orderBy('sku_id').orderBy('effective_from', 'desc').execute();
    return new Map(rows.map((r) => [r.sku_id, Number(r.price_cny)]));
  }

  /** The latest override row per (region, sku, level) in force at `date`, including lifted ones (price null). */
  async function overridesAt(date: string, filter: { regionCodes?: string[]; skuIds?: string[] } = {}): Promise<Override[]> {
    let q = db
      .selectFrom('price_overrides')
      .select(['id', 'region_code', 'sku_id', 'channel_level', 'price_cny', 'effective_from'])
      .distinctOn(['region_code', 'sku_id', 'channel_level'])
      .where('effective_from', '<=', date);
    if (filter.regionCodes) q = q.where('region_code', 'in', filter.regionCodes);
    if (filter.skuIds) q = q.where('sku_id', 'in', filter.skuIds.length ? filter.skuIds : ['00000000-0000-0000-0000-000000000000']);
    const rows = await q.orderBy('region_code').orderBy('sku_id').orderBy('channel_level').orderBy('effective_from', 'desc').orderBy('id', 'desc').execute();
    return rows.map((r) => ({ region_code: r.region_code, sku_id: r.sku_id, channel_level: r.channel_level, price: r.price_cny === null ? null : Number(r.price_cny), effective_from: toDay(r.effective_from), id: Number(r.id) }));
  }

  /** Prices of one SKU in one region: generated from the rules, then the nearest region's override per level. */
  function priceRow(rules: PriceRules, base: number, regionCode: string, overrides: Override[]): { tier: RegionTier; prices: Record<PriceLevel, number>; overridden: PriceLevel[] } {
    const tier = regionTier(regions, regionCode, rules);
    const lineage = regions.lineage(regionCode).map((r) => r.code);
    const prices = {} as Record<PriceLevel, number>;
    const overridden: PriceLevel[] = [];
    for (const level of PRICE_LEVELS) {
      prices[level] = generatedPrice(rules, base, tier, level);
      for (const code of lineage) {
        const o = overrides.find((x) => x.region_code === code && x.channel_level === level);
        if (o && o.price !== null) {
          prices[level] = o.price;
          overridden.push(level);
          break;
        }
      }
    }
    return { tier, prices, overridden };
  }

  async function requireRules(date: string) {
    const r = await rulesAt(date);
    if (!r) throw new HttpProblem('not-found', `No price rules are in force on ${date}`);
    return r;
  }

  async function table(regionCode: string, date: string, page: { limit: number; offset: number; category?: string | undefined }) {
    if (!regions.get(regionCode)) throw notFound(`Region ${regionCode}`);
    const { rules, effective_from } = await requireRules(date);
    let q = db.selectFrom('skus').select(['id', 'gtin', 'name']).where('status', '=', 'active');
    if (page.category) q = q.where('category', '=', page.category as 'formula');
    const [skus, total] = await Promise.all([
      q.orderBy('gtin').limit(page.limit).offset(page.offset).execute(),
      q.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const ids = skus.map((s) => s.id);
    const bases = await basePricesAt(date, ids);
    const overrides = await overridesAt(date, { regionCodes: regions.lineage(regionCode).map((r) => r.code), skuIds: ids });
    const items: PriceRow[] = [];
    for (const s of skus) {
      const base = bases.get(s.id);
      if (base === undefined) continue;
      const row = priceRow(rules, base, regionCode, overrides.filter((o) => o.sku_id === s.id));
      items.push({ sku_id: s.id, gtin: s.gtin, name: s.name, base_price: base, region_tier: row.tier, prices: row.prices, overridden: row.overridden, margins: margins(row.prices) });
    }
    return { region_code: regionCode, date, rules_effective_from: effective_from, items, total: Number(total.n), limit: page.limit, offset: page.offset };
  }

  async function setRules(effectiveFrom: string, rules: PriceRules, note: string | undefined, actor: string) {
    const taken = await db.selectFrom('price_rule_sets').select('id').where('effective_from', '=', effectiveFrom).executeTakeFirst();
    if (taken) throw conflict(`A rule set already takes effect on ${effectiveFrom}`, { errors: [{ field: 'body.effective_from', message: 'already has a rule set' }] });
    for (const code of rules.tier1_cities) if (!regions.get(code)) throw invalid('body.rules.tier1_cities', `${code} is not a GB/T 2260 region code`);
    const row = await db.insertInto('price_rule_sets').values({ effective_from: effectiveFrom, rules: JSON.stringify(rules), note: note ?? null, created_by: actor }).returningAll().executeTakeFirstOrThrow();
    await db.insertInto('audit_log').values({ actor, action: 'price-rules.set', entity: 'price_rule_set', entity_id: row.id, detail: { effective_from: effectiveFrom } }).execute();
    return { id: row.id, effective_from: toDay(row.effective_from), rules, note: row.note };
  }

  async function setBasePrices(effectiveFrom: string, prices: { gtin: string; price: number }[], actor: string) {
    const skus = await db.selectFrom('skus').select(['id', 'gtin']).where('gtin', 'in', prices.map((p) => p.gtin)).execute();
    const idOf = new Map(skus.map((s) => [s.gtin, s.id]));
    const missing = prices.findIndex((p) => !idOf.has(p.gtin));
    if (missing >= 0) throw invalid(`body.prices.${missing}.gtin`, `no SKU has GTIN ${prices[missing]!.gtin}`);
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < prices.length; i += 500) {
        const chunk = prices.slice(i, i + 500).map((p) => ({ sku_id: idOf.get(p.gtin)!, effective_from: effectiveFrom, price_cny: p.price, created_by: actor }));
        await trx.insertInto('sku_base_prices').values(chunk).onConflict((oc) => oc.columns(['sku_id', 'effective_from']).doUpdateSet({ price_cny: sql`excluded.price_cny`, created_by: actor, created_at: new Date() })).execute();
      }
      await trx.insertInto('audit_log').values({ actor, action: 'base-prices.set', entity: 'sku_base_prices', entity_id: null, detail: { effective_from: effectiveFrom, count: prices.length } }).execute();
    });
    return { effective_from: effectiveFrom, count: prices.length };
  }

  /** Sets (or, with price null, lifts) a regional override; every change is a new row, so the rows are the audit trail. */
  async function override(input: { regionCode: string; gtin: string; level: PriceLevel; effectiveFrom: string; price: number | null; reason: string }, actor: string) {
    if (!regions.get(input.regionCode)) throw invalid('body.region_code', `${input.regionCode} is not a GB/T 2260 region code`);
    const sku = await db.selectFrom('skus').select(['id']).where('gtin', '=', input.gtin).executeTakeFirst();
    if (!sku) throw invalid('body.gtin', `no SKU has GTIN ${input.gtin}`);
    if (input.price !== null) {
      const { rules } = await requireRules(input.effectiveFrom);
      const base = (await basePricesAt(input.effectiveFrom, [sku.id])).get(sku.id);
      if (base === undefined) throw invalid('body.gtin', `the SKU has no base price on ${input.effectiveFrom}`);
      const generated = generatedPrice(rules, base, regionTier(regions, input.regionCode, rules), input.level);
      if (input.price > generated * OVERRIDE_FACTOR || input.price < generated / OVERRIDE_FACTOR) {
        throw invalid('body.price', `${input.price} is absurd beside the generated ${generated}: an override stays within ${OVERRIDE_FACTOR}× of it`);
      }
    }
    const row = await db
      .insertInto('price_overrides')
      .values({ region_code: input.regionCode, sku_id: sku.id, channel_level: input.level, effective_from: input.effectiveFrom, price_cny: input.price, reason: input.reason, created_by: actor })
      .returningAll()
      .executeTakeFirstOrThrow();
    await db.insertInto('audit_log').values({ actor, action: input.price === null ? 'price-override.lift' : 'price-override.set', entity: 'price_override', entity_id: String(row.id), detail: { ...input } }).execute();
    return { id: Number(row.id), region_code: row.region_code, sku_id: row.sku_id, gtin: input.gtin, channel_level: row.channel_level, effective_from: toDay(row.effective_from), price: row.price_cny === null ? null : Number(row.price_cny), reason: row.reason, created_by: row.created_by, created_at: row.created_at };
  }

  async function overrideHistory(filter: { regionCode?: string | undefined; gtin?: string | undefined; limit: number; offset: number }) {
    let q = db.selectFrom('price_overrides').innerJoin('skus', 'skus.id', 'price_overrides.sku_id');
    if (filter.regionCode) q = q.where('price_overrides.region_code', '=', filter.regionCode);
    if (filter.gtin) q = q.where('skus.gtin', '=', filter.gtin);
    const rows = await q
      .select(['price_overrides.id', 'price_overrides.region_code', 'skus.gtin', 'price_overrides.channel_level', 'price_overrides.effective_from', 'price_overrides.price_cny', 'price_overrides.reason', 'price_overrides.created_by', 'price_overrides.created_at'])
      .orderBy('price_overrides.id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), effective_from: toDay(r.effective_from), price: r.price_cny === null ? null : Number(r.price_cny), price_cny: undefined }));
  }

  /**
   * Where the rules and overrides in force leave dealers' margins outside target ± band, and where one SKU's price
   * at one level differs between price regions (the three tiers plus every overridden region) by more than the
   * allowed difference: the gaps that make diversion pay.
   */
  async function checks(date: string, limit: number) {
    const { rules, effective_from } = await requireRules(date);
    const skus = await db.selectFrom('skus').select(['id', 'gtin']).where('status', '=', 'active').orderBy('gtin').execute();
    const bases = await basePricesAt(date);
    const overrides = (await overridesAt(date)).filter((o) => o.price !== null);
    const overriddenRegions = new Map<string, Set<string>>();
    for (const o of overrides) overriddenRegions.set(o.sku_id, (overriddenRegions.get(o.sku_id) ?? new Set()).add(o.region_code));
    const marginBreaches: unknown[] = [];
    const differences: unknown[] = [];
    let marginTotal = 0;
    let differenceTotal = 0;
    for (const sku of skus) {
      const base = bases.get(sku.id);
      if (base === undefined) continue;
      const own = overrides.filter((o) => o.sku_id === sku.id);
      const places: { region: string; label: string }[] = [
        ...REGION_TIERS.map((tier) => ({ region: '', label: `tier:${tier}` })),
        ...[...(overriddenRegions.get(sku.id) ?? [])].map((code) => ({ region: code, label: `region:${code}` })),
      ];
      const rows = places.map((p) => {
        const row = p.label.startsWith('tier:')
          ? { prices: Object.fromEntries(PRICE_LEVELS.map((l) => [l, generatedPrice(rules, base, p.label.slice(5) as RegionTier, l)])) as Record<PriceLevel, number> }
          : priceRow(rules, base, p.region, own);
        return { ...p, prices: row.prices, margins: margins(row.prices) };
      });
      for (const r of rows) {
        for (const level of CHANNEL_LEVELS) {
          const target = rules.target_margins[level];
          if (Math.abs(r.margins[level] - target) > rules.margin_band + 1e-9) {
            marginTotal++;
            if (marginBreaches.length < limit) marginBreaches.push({ gtin: sku.gtin, where: r.label, level, margin: round4(r.margins[level]), target, band: rules.margin_band });
          }
        }
      }
      for (const level of PRICE_LEVELS) {
        const sorted = [...rows].sort((a, b) => a.prices[level] - b.prices[level]);
        const lo = sorted[0]!;
        const hi = sorted[sorted.length - 1]!;
        const diff = hi.prices[level] / lo.prices[level] - 1;
        if (diff > rules.max_regional_difference + 1e-9) {
          differenceTotal++;
          if (differences.length < limit) differences.push({ gtin: sku.gtin, level, difference: round4(diff), lowest: { where: lo.label, price: lo.prices[level] }, highest: { where: hi.label, price: hi.prices[level] }, limit: rules.max_regional_difference });
        }
      }
    }
    return { date, rules_effective_from: effective_from, margin_breaches: { total: marginTotal, items: marginBreaches }, regional_differences: { total: differenceTotal, items: differences } };
  }

  /**
   * Every price level of these SKUs (all active ones when omitted) in one region on one day, for ordering: the
   * same generation and override lookup as the price table. A SKU without a base price that day is absent.
   */
  async function pricesFor(regionCode: string, date: string, skuIds?: string[]): Promise<{ rulesEffectiveFrom: string; prices: Map<string, Record<PriceLevel, number>> }> {
    if (!regions.get(regionCode)) throw notFound(`Region ${regionCode}`);
    const { rules, effective_from } = await requireRules(date);
    const [bases, overrides] = await Promise.all([
      basePricesAt(date, skuIds),
      overridesAt(date, { regionCodes: regions.lineage(regionCode).map((r) => r.code), ...(skuIds ? { skuIds } : {}) }),
    ]);
    const bySku = new Map<string, Override[]>();
    for (const o of overrides) bySku.set(o.sku_id, [...(bySku.get(o.sku_id) ?? []), o]);
    const prices = new Map<string, Record<PriceLevel, number>>();
    for (const [skuId, base] of bases) prices.set(skuId, priceRow(rules, base, regionCode, bySku.get(skuId) ?? []).prices);
    // PGlite hands a date column back as a Date (rulesAt then holds its String()); keep the calendar day either way.
    const from = /^\d{4}-\d{2}-\d{2}$/.test(effective_from) ? effective_from : new Date(effective_from).toISOString().slice(0, 10);
    return { rulesEffectiveFrom: from, prices };
  }

  /**
   * Every price in force on a day, as one book to hold and look up in memory (ordering prices every order line and
   * caches the book for a few seconds): the rules, every base price and every override in force, read once.
   */
  async function priceBook(date: string): Promise<{ rulesEffectiveFrom: string; price(regionCode: string, skuId: string): Record<PriceLevel, number> | undefined }> {
    const { rules, effective_from } = await requireRules(date);
    const [bases, overrides] = await Promise.all([basePricesAt(date), overridesAt(date)]);
    const bySku = new Map<string, Override[]>();
    for (const o of overrides) bySku.set(o.sku_id, [...(bySku.get(o.sku_id) ?? []), o]);
    const from = /^\d{4}-\d{2}-\d{2}$/.test(effective_from) ? effective_from : new Date(effective_from).toISOString().slice(0, 10);
    return {
      rulesEffectiveFrom: from,
      price(regionCode, skuId) {
        const base = bases.get(skuId);
        if (base === undefined || !regions.get(regionCode)) return undefined;
        return priceRow(rules, base, regionCode, bySku.get(skuId) ?? []).prices;
      },
    };
  }

  return { rulesAt, setRules, setBasePrices, override, overrideHistory, table, checks, pricesFor, priceBook };
}

const round4 = (n: number) => Math.round(n * 1e4) / 1e4;

/** A date column as YYYY-MM-DD: node-postgres hands back the string, PGlite a Date at UTC midnight. */
function toDay(v: unknown): string {
  return v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
}

export type PricingService = ReturnType<typeof createPricingService>;
