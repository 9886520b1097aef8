import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db';
import type { SkuCategory } from '../platform/db/schema';
import type { PriceRules } from '../pricing/rules';

/** The day the demo's authorisations and prices take effect: before any shipment the demo or its scenarios make. */
export const DEMO_REGION_CONTROL_FROM = '2024-01-01';

/**
 * Demo price rules: tier-1 cities +15% and counties +22%, so the regional difference (1.22 / 1.15 − 1 = 6.1%) stays
 * inside the 8% limit; the channel discounts give margins of 12.5%, 9.1% and 12% against targets of 12%, 9% and 12%.
 */
export const DEMO_PRICE_RULES: PriceRules = {
  tier1_cities: ['110000', '310000', '440100', '440300'],
  region_markups: { tier1_city: 0.15, city: 0.18, county: 0.22 },
  channel_discounts: { first_tier: 0.3, second_tier: 0.2, store: 0.12 },
  target_margins: { first_tier: 0.12, second_tier: 0.09, store: 0.12 },
  margin_band: 0.05,
  max_regional_difference: 0.08,
};

const PRICE_RANGE_CNY: Record<SkuCategory, [number, number]> = {
  formula: [198, 468],
  diapers: [59, 199],
  wipes: [9, 89],
  baby_food: [9, 59],
  cots: [699, 2999],
  bags: [99, 499],
};

/** A stable base price from the GTIN, within its category's range, ending in .00 or .90 as shelf prices do. */
export function demoBasePrice(gtin: string, category: SkuCategory): number {
  const [lo, hi] = PRICE_RANGE_CNY[category];
  const u = crypto.createHash('sha256').update(gtin).digest().readUInt32BE(0) / 0x1_0000_0000;
  const whole = Math.floor(lo + u * (hi - lo));
  return u > 0.5 ? whole + 0.9 : whole;
}

/**
 * Each first-tier dealer's authorisation for the region it is bound to, and a demo price table (rules and a base
 * price per SKU). Called by the demo seeder inside its transaction, after parties and SKUs.
 */
export async function seedRegionControl(trx: Kysely<Database>): Promise<Record<string, number>> {
  const dealers = await trx.selectFrom('parties').select(['id', 'region_code']).where('kind', '=', 'dealer').where('tier', '=', 1).execute();
  for (let i = 0; i < dealers.length; i += 500) {
    await trx
      .insertInto('region_authorisations')
      .values(dealers.slice(i, i + 500).map((d) => ({ dealer_id: d.id, region_code: d.region_code, valid_from: `${DEMO_REGION_CONTROL_FROM}T00:00:00+08:00`, version: 1, created_by: 'demo-seed', note: 'bound region' })))
      .execute();
  }
  await trx.insertInto('price_rule_sets').values({ effective_from: DEMO_REGION_CONTROL_FROM, rules: JSON.stringify(DEMO_PRICE_RULES), note: 'demo rules', created_by: 'demo-seed' }).execute();
  const skus = await trx.selectFrom('skus').select(['id', 'gtin', 'category']).execute();
  for (let i = 0; i < skus.length; i += 500) {
    await trx
      .insertInto('sku_base_prices')
      .values(skus.slice(i, i + 500).map((s) => ({ sku_id: s.id, effective_from: DEMO_REGION_CONTROL_FROM, price_cny: demoBasePrice(s.gtin, s.category), created_by: 'demo-seed' })))
      .execute();
  }
  return { region_authorisations: dealers.length, sku_base_prices: skus.length };
}
