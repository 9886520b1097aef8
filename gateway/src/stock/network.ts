import { sql } from 'kysely';
import type { Db } from '../platform/db';

export interface NetworkQuery {
  skuIds: string[];
  /** A GB/T 2260 code: a province or city code matches every location inside it. */
  regionCode?: string | undefined;
  /** Only batches expiring within this many days of `today` (expired ones included). */
  maxDaysToExpiry?: number | undefined;
  kinds?: string[] | undefined;
  /** Null: every location (HQ); otherwise only these party ids. */
  visibleLocationIds: ReadonlySet<string> | null;
  /** YYYY-MM-DD. */
  today: string;
  now: Date;
}

export interface BatchStock {
  batch: string;
  expiry_date: string | null;
  days_to_expiry: number | null;
  on_hand: number;
  reserved: number;
  in_transit: number;
  available: number;
}

export interface LocationStock {
  location: { id: string; code: string; name: string; kind: string; region_code: string; warehouse_kind: string | null };
  /** The source system's time of the newest data we hold for this location; null if we never heard from one. */
  data_as_of: string | null;
  /** Seconds between data_as_of and now. */
  age_seconds: number | null;
  on_hand: number;
  reserved: number;
  in_transit: number;
  available: number;
  batches: BatchStock[];
}

export interface SkuNetworkStock {
  sku: { id: string; gtin: string; name: string; category: string };
  on_hand: number;
  reserved: number;
  in_transit: number;
  available: number;
  locations: LocationStock[];
}

/** `110000` → `11`, `110100` → `1101`, `110105` → `110105`: the prefix every code inside the region starts with. */
export function regionPrefix(code: string): string {
  let p = code;
  while (p.length > 2 && p.endsWith('00')) p = p.slice(0, -2);
  return p;
}

interface Row {
  sku_id: string;
  gtin: string;
  sku_name: string;
  category: string;
  location_id: string;
  code: string;
  name: string;
  kind: string;
  region_code: string;
  warehouse_kind: string | null;
  batch: string;
  expiry_date: string | null;
  days_to_expiry: number | null;
  on_hand: number;
  reserved: number;
  in_transit: number;
  data_as_of: Date | null;
}

/**
 * The positions behind a network view, for every location (visibility is applied afterwards, per caller).
 * Held for `ttlMs` per query: the view is read far more often than stock changes, and a second of staleness is
 * well inside "within seconds of the source"; writes in this process clear it at once.
 */
export function createNetworkReader(db: Db, ttlMs = 1000) {
  const cache = new Map<string, { at: number; rows: Promise<Row[]> }>();
  return {
    rows(q: NetworkQuery): Promise<Row[]> {
      const key = JSON.stringify([q.skuIds, q.regionCode, q.maxDaysToExpiry, q.kinds, q.today]);
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < ttlMs) return hit.rows;
      if (cache.size > 5000) cache.clear();
      const rows = fetchRows(db, q);
      cache.set(key, { at: Date.now(), rows });
      rows.catch(() => cache.delete(key));
      return rows;
    },
    invalidate: () => cache.clear(),
  };
}

async function fetchRows(db: Db, q: NetworkQuery): Promise<Row[]> {
  const rows = await sql<Row>`
    select b.sku_id, s.gtin, s.name as sku_name, s.category, b.location_id, p.code, p.name, p.kind, p.region_code, p.warehouse_kind,
           b.batch, b.expiry_date::text as expiry_date, (b.expiry_date - ${q.today}::date) as days_to_expiry,
           b.on_hand, b.reserved, b.in_transit, f.data_as_of
    from stock_balances b
    join skus s on s.id = b.sku_id
    join parties p on p.id = b.location_id
    left join (select location_id, max(data_as_of) as data_as_of from stock_location_freshness group by location_id) f on f.location_id = b.location_id
    where b.sku_id = any(${q.skuIds}::uuid[])
      and (b.on_hand <> 0 or b.reserved <> 0 or b.in_transit <> 0)
      ${q.regionCode ? sql`and p.region_code like ${`${regionPrefix(q.regionCode)}%`}` : sql``}
      ${q.maxDaysToExpiry !== undefined ? sql`and b.expiry_date <= ${q.today}::date + ${q.maxDaysToExpiry}::int` : sql``}
      ${q.kinds && q.kinds.length ? sql`and p.kind = any(${q.kinds}::text[])` : sql``}
    order by s.gtin, p.kind desc, p.code, b.expiry_date nulls last, b.batch`.execute(db);
  return rows.rows;
}

/** Stock of the given SKUs at every (visible) location, per batch, with each location's data freshness. */
export async function networkStock(db: Db, q: NetworkQuery, reader = createNetworkReader(db, 0)): Promise<SkuNetworkStock[]> {
  if (q.skuIds.length === 0) return [];
  const visible = q.visibleLocationIds;
  const rows = await reader.rows(q);
  const bySku = new Map<string, SkuNetworkStock>();
  const byLocation = new Map<string, LocationStock>();
  for (const r of rows) {
    if (visible && !visible.has(r.location_id)) continue;
    let sku = bySku.get(r.sku_id);
    if (!sku) {
      sku = { sku: { id: r.sku_id, gtin: r.gtin.trim(), name: r.sku_name, category: r.category }, on_hand: 0, reserved: 0, in_transit: 0, available: 0, locations: [] };
      bySku.set(r.sku_id, sku);
    }
    const lk = `${r.sku_id}|${r.location_id}`;
    let loc = byLocation.get(lk);
    if (!loc) {
      const asOf = r.data_as_of ? new Date(r.data_as_of) : null;
      loc = {
        location: { id: r.location_id, code: r.code, name: r.name, kind: r.kind, region_code: r.region_code.trim(), warehouse_kind: r.warehouse_kind },
        data_as_of: asOf ? asOf.toISOString() : null,
        age_seconds: asOf ? Math.max(0, Math.round((q.now.getTime() - asOf.getTime()) / 1000)) : null,
        on_hand: 0,
        reserved: 0,
        in_transit: 0,
        available: 0,
        batches: [],
      };
      byLocation.set(lk, loc);
      sku.locations.push(loc);
    }
    const available = r.on_hand - r.reserved;
    loc.batches.push({
      batch: r.batch,
      expiry_date: r.expiry_date,
      days_to_expiry: r.days_to_expiry === null ? null : Number(r.days_to_expiry),
      on_hand: r.on_hand,
      reserved: r.reserved,
      in_transit: r.in_transit,
      available,
    });
    for (const t of [loc, sku]) {
      t.on_hand += r.on_hand;
      t.reserved += r.reserved;
      t.in_transit += r.in_transit;
      t.available += available;
    }
  }
  return q.skuIds.map((id) => bySku.get(id)).filter((s): s is SkuNetworkStock => s !== undefined);
}
