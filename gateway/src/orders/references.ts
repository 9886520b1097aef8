import { sql } from 'kysely';
import type { Db } from '../platform/db';
import type { OrderPriceLevel, PartyKind, SkuCategory } from '../platform/db/schema';
import type { PricingService } from '../pricing/service';

export interface OrderSku {
  id: string;
  gtin: string;
  name: string;
  category: SkuCategory;
  unitsPerCase: number;
  packSizes: number[];
  active: boolean;
}

export interface OrderParty {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  tier: 1 | 2 | null;
  parentId: string | null;
  regionCode: string;
  status: 'active' | 'suspended' | 'closed';
  lat: number | null;
  lng: number | null;
  /** The demo network's and master data's credit limit, used when the buyer has no credit account yet. */
  creditLimitAttribute: number | null;
}

export interface Promotion {
  code: string;
  skuId: string | null;
  category: SkuCategory | null;
  buy: number;
  free: number;
  levels: OrderPriceLevel[];
  validFrom: string;
  validTo: string | null;
}

/**
 * A value held for `ttlMs` and then read again, so other gateway replicas' writes are seen within that time;
 * `clear()` drops it at once after a write in this process.
 */
function held<T>(ttlMs: number, load: () => Promise<T>) {
  let cached: { at: number; value: Promise<T> } | undefined;
  return {
    get(): Promise<T> {
      if (!cached || Date.now() - cached.at > ttlMs) {
        const value = load();
        cached = { at: Date.now(), value };
        value.catch(() => (cached = undefined));
      }
      return cached.value;
    },
    clear: () => (cached = undefined),
  };
}

interface PartyRow {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  tier: 1 | 2 | null;
  parent_id: string | null;
  region_code: string;
  status: OrderParty['status'];
  lat: number | null;
  lng: number | null;
  attributes: unknown;
}

function partyOf(r: PartyRow): OrderParty {
  const limit = ((r.attributes ?? {}) as { credit_limit_cny?: unknown }).credit_limit_cny;
  return {
    id: r.id, code: r.code, name: r.name, kind: r.kind, tier: r.tier, parentId: r.parent_id, regionCode: r.region_code.trim(), status: r.status, lat: r.lat, lng: r.lng,
    creditLimitAttribute: typeof limit === 'number' ? limit : null,
  };
}

const asDay = (v: unknown): string => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

/** What order_place (migration 006, `order_buyer_snapshot`) compares with the buyer's row when it places the order. */
export const buyerSnapshot = (p: OrderParty) => ({
  kind: p.kind, tier: p.tier, parent_id: p.parentId, region_code: p.regionCode, status: p.status, lat: p.lat, lng: p.lng, credit_limit_cny: p.creditLimitAttribute,
});

/**
 * Master data and rules that ordering reads on every order, held briefly (prices and rules for 5 s, the catalogue
 * until a miss, warehouses for a minute). Placing holds buyers for 10 s (`buyer`): order_place checks the held buyer
 * against its row in the placing transaction, so a suspension or a move still bites at once; elsewhere parties are
 * read per call.
 */
export function createOrderReferences(deps: { db: Db; pricing: PricingService }) {
  const { db, pricing } = deps;
  let skusLoadedAt = 0;
  const skus = held(60_000, async () => {
    skusLoadedAt = Date.now();
    const rows = await db.selectFrom('skus').select(['id', 'gtin', 'name', 'category', 'units_per_case', 'pack_sizes', 'status']).execute();
    const byGtin = new Map<string, OrderSku>();
    for (const r of rows) {
      byGtin.set(r.gtin.trim(), { id: r.id, gtin: r.gtin.trim(), name: r.name, category: r.category, unitsPerCase: r.units_per_case, packSizes: r.pack_sizes, active: r.status === 'active' });
    }
    return { byGtin, byId: new Map([...byGtin.values()].map((s) => [s.id, s])) };
  });
  const warehouses = held(60_000, () => db.selectFrom('parties').select(['id', 'code', 'lat', 'lng', 'status']).where('kind', '=', 'warehouse').orderBy('code').execute());
  const serving = held(5_000, async () => new Map((await db.selectFrom('order_serving_warehouses').select(['buyer_id', 'warehouse_id']).execute()).map((r) => [r.buyer_id, r.warehouse_id])));
  const expiryRules = held(5_000, async () => new Map((await db.selectFrom('order_expiry_rules').selectAll().execute()).map((r) => [`${r.price_level}|${r.category}`, r.min_days_left])));
  const promotions = held(5_000, async () =>
    (await db.selectFrom('order_promotions').selectAll().execute()).map(
      (r): Promotion => ({ code: r.code, skuId: r.sku_id, category: r.category, buy: r.buy_quantity, free: r.free_quantity, levels: r.price_levels, validFrom: asDay(r.valid_from), validTo: r.valid_to === null ? null : asDay(r.valid_to) }),
    ),
  );
  const priceBooks = new Map<string, { at: number; value: ReturnType<PricingService['priceBook']> }>();
  const buyers = new Map<string, { at: number; value: Promise<OrderParty | undefined> }>();
  async function party(id: string): Promise<OrderParty | undefined> {
    const r = await db.selectFrom('parties').select(['id', 'code', 'name', 'kind', 'tier', 'parent_id', 'region_code', 'status', 'lat', 'lng', 'attributes']).where('id', '=', id).executeTakeFirst();
    return r ? partyOf(r) : undefined;
  }

  return {
    async skuByGtin(gtin: string): Promise<OrderSku | undefined> {
      let hit = (await skus.get()).byGtin.get(gtin);
      if (!hit && Date.now() - skusLoadedAt > 1000) {
        skus.clear();
        hit = (await skus.get()).byGtin.get(gtin);
      }
      return hit;
    },
    async skuById(id: string): Promise<OrderSku | undefined> {
      return (await skus.get()).byId.get(id);
    },
    /** The catalogue by SKU id, to read inside a transaction without touching the pool. */
    catalogue: async (): Promise<ReadonlyMap<string, OrderSku>> => (await skus.get()).byId,
    party,
    /** A buyer as read at most 10 s ago (`fresh`: read now); only for placing, which checks it again in its transaction. */
    buyer(id: string, fresh = false): Promise<OrderParty | undefined> {
      const hit = buyers.get(id);
      if (!fresh && hit && Date.now() - hit.at < 10_000) return hit.value;
      const value = party(id);
      if (buyers.size > 10_000) buyers.clear();
      buyers.set(id, { at: Date.now(), value });
      value.catch(() => buyers.delete(id));
      return value;
    },
    /**
     * One round trip: the buyer (read now) and the order it already placed under this idempotency key, if any. Placing
     * reads it when it refuses an order, so that a replayed key still answers its order.
     */
    async partyAndKey(id: string, idempotencyKey: string): Promise<{ party: OrderParty | undefined; existing: { id: string; request_hash: string } | undefined }> {
      const r = (
        await sql<PartyRow & { order_id: string | null; request_hash: string | null }>`
          select p.id, p.code, p.name, p.kind, p.tier, p.parent_id, p.region_code, p.status, p.lat, p.lng, p.attributes, o.id as order_id, o.request_hash
          from (select ${id}::uuid as id) k
          left join parties p on p.id = k.id
          left join orders o on o.buyer_id = k.id and o.idempotency_key = ${idempotencyKey}`.execute(db)
      ).rows[0];
      return {
        party: r && r.id !== null ? partyOf(r) : undefined,
        existing: r && r.order_id !== null && r.request_hash !== null ? { id: r.order_id, request_hash: r.request_hash } : undefined,
      };
    },
    warehouses: () => warehouses.get(),
    servingWarehouseOf: async (buyerId: string) => (await serving.get()).get(buyerId),
    async minDaysLeft(level: OrderPriceLevel, category: SkuCategory): Promise<number> {
      return (await expiryRules.get()).get(`${level}|${category}`) ?? 0;
    },
    promotions: () => promotions.get(),
    /** The pricing area's price book of a day (every region, every SKU), held for 5 s. */
    prices(day: string) {
      const hit = priceBooks.get(day);
      if (hit && Date.now() - hit.at < 5_000) return hit.value;
      const value = pricing.priceBook(day);
      priceBooks.set(day, { at: Date.now(), value });
      value.catch(() => priceBooks.delete(day));
      if (priceBooks.size > 30) priceBooks.clear();
      return value;
    },
    forget() {
      skus.clear();
      serving.clear();
      expiryRules.clear();
      promotions.clear();
      priceBooks.clear();
      buyers.clear();
    },
  };
}

export type OrderReferences = ReturnType<typeof createOrderReferences>;
