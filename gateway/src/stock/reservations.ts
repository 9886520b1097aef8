import { type Kysely, sql } from 'kysely';
import type { Database } from '../platform/db';
import { StockError } from './errors';

/** One SKU wanted by an order line: reserved from `locationIds` in that order of preference, oldest expiry first. */
export interface ReservationRequest {
  /** Made by the caller (`order:<id>:<line>`); each pick's movement key is derived from it, so a replay conflicts. */
  key: string;
  skuId: string;
  quantity: number;
  locationIds: readonly string[];
  /** Batches expiring before this day (YYYY-MM-DD) are never picked: the customer's shelf-life rule. */
  notExpiringBefore: string | null;
}

export interface ReservationPick {
  locationId: string;
  batch: string;
  expiryDate: string | null;
  quantity: number;
  /** The movement's idempotency key: `<request key>:<location>:<batch>`. */
  movementKey: string;
}

export interface ReservationResult {
  key: string;
  requested: number;
  reserved: number;
  picks: ReservationPick[];
}

/** A change to reserved/on-hand made by ordering (release, dispatch), already resolved to a position. */
export interface OrderStockChange {
  idempotencyKey: string;
  reason: 'reservation' | 'release' | 'dispatch' | 'receipt';
  skuId: string;
  locationId: string;
  batch: string;
  expiryDate: string | null;
  onHand: number;
  reserved: number;
  inTransit?: number;
  reference: string;
}

const SOURCE = 'cradle-orders';

/**
 * Reserves stock for several SKUs in the caller's transaction, first-expiry-first-out within each location and
 * locations in the given order; reserves what is there when it cannot cover all (the caller back-orders the rest).
 * One request per SKU.
 *
 * The work is the database function `stock_reserve_first_expiry_first` (migration 006), one round trip per location
 * preference: it holds each location's freshness rows `for key share` (a snapshot reconciliation, which takes them
 * `for update`, waits for the reservation to commit; reservations at one location do not wait for each other), plans
 * the picks on the unlocked figures, locks just the planned balance rows (in key order, so two orders never deadlock
 * on them), makes the picks on the locked figures (rows that fell short bring in more candidates; only those later
 * locks can meet another order's out of order, and a deadlock fails the transaction, never a count), and writes a
 * `reservation` movement per pick and the balances. Ordering's `order_place` calls the same function.
 */
export async function reserveFirstExpiryFirst(trx: Kysely<Database>, requests: readonly ReservationRequest[], opts: { reference: string; at: Date }): Promise<ReservationResult[]> {
  if (!trx.isTransaction) throw new Error('reserveFirstExpiryFirst must run inside the caller’s transaction');
  const results = requests.map((r): ReservationResult => ({ key: r.key, requested: r.quantity, reserved: 0, picks: [] }));
  const groups = new Map<string, number[]>();
  for (const [i, r] of requests.entries()) {
    const k = r.locationIds.join(',');
    groups.set(k, [...(groups.get(k) ?? []), i]);
  }
  for (const indexes of groups.values()) {
    const group = indexes.map((i) => requests[i]!);
    const rows = await sql<{ request: number; location_id: string; batch: string; expiry_date: string | null; quantity: number; movement_key: string }>`
      select request, location_id, batch, expiry_date::text as expiry_date, quantity, movement_key
      from stock_reserve_first_expiry_first(${group.map((r) => r.key)}::text[], ${group.map((r) => r.skuId)}::uuid[], ${group.map((r) => r.quantity)}::int[],
        ${group.map((r) => r.notExpiringBefore)}::date[], ${[...group[0]!.locationIds]}::uuid[], ${opts.reference}, ${opts.at}::timestamptz)`
      .execute(trx)
      .catch((err: unknown) => {
        throw asStockError(err);
      });
    for (const r of rows.rows) {
      const result = results[indexes[r.request - 1]!]!;
      result.picks.push({ locationId: r.location_id, batch: r.batch, expiryDate: r.expiry_date, quantity: r.quantity, movementKey: r.movement_key });
      result.reserved += r.quantity;
    }
  }
  return results;
}

/** The stock functions' errors (SQLSTATE, migration 006) as the stock area's own; anything else unchanged. */
export function asStockError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'CRS01') return new StockError('STOCK_KEY_CONFLICT', (err as Error).message, 'idempotency_key');
  if (code === 'CRS02') return new StockError('STOCK_NOT_AVAILABLE', (err as Error).message, 'reserved');
  return err;
}

/**
 * Applies ordering's own stock changes (releases, dispatches, receipts) in the caller's transaction, each recorded
 * as a ledger movement under its key. A key applied before fails the call (STOCK_KEY_CONFLICT): the caller's
 * transaction rolls back, so a change is never counted twice. Reserved never goes below zero nor above on hand.
 */
export async function applyOrderStockChanges(trx: Kysely<Database>, changes: readonly OrderStockChange[], at: Date): Promise<void> {
  if (!trx.isTransaction) throw new Error('applyOrderStockChanges must run inside the caller’s transaction');
  if (changes.length === 0) return;
  await holdLocations(trx, [...new Set(changes.map((c) => c.locationId))]);
  await applyChanges(trx, changes, at);
}

async function holdLocations(trx: Kysely<Database>, locationIds: string[]): Promise<void> {
  const sorted = [...locationIds].sort();
  const held = await sql<{ location_id: string }>`
    select location_id from stock_location_freshness where location_id = any(${sorted}::uuid[])
    order by location_id, source for key share`.execute(trx);
  const have = new Set(held.rows.map((r) => r.location_id));
  if (have.size === sorted.length) return;
  const missing = sorted.filter((id) => !have.has(id));
  await trx
    .insertInto('stock_location_freshness')
    .values(missing.map((id) => ({ location_id: id, source: SOURCE })))
    .onConflict((oc) => oc.columns(['location_id', 'source']).doNothing())
    .execute();
  await sql`select 1 from stock_location_freshness where location_id = any(${missing}::uuid[]) order by location_id, source for key share`.execute(trx);
}

async function applyChanges(trx: Kysely<Database>, changes: readonly OrderStockChange[], at: Date): Promise<void> {
  if (changes.length === 0) return;
  const inserted = await trx
    .insertInto('stock_movements')
    .values(
      changes.map((c) => ({
        idempotency_key: c.idempotencyKey,
        source: SOURCE,
        reason: c.reason,
        sku_id: c.skuId,
        batch: c.batch,
        expiry_date: c.expiryDate,
        location_id: c.locationId,
        d_on_hand: c.onHand,
        d_reserved: c.reserved,
        d_in_transit: c.inTransit ?? 0,
        occurred_at: at,
        applied: true,
        reference: c.reference,
      })),
    )
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('idempotency_key')
    .execute();
  if (inserted.length !== changes.length) {
    const got = new Set(inserted.map((r) => r.idempotency_key));
    const first = changes.find((c) => !got.has(c.idempotencyKey))!;
    throw new StockError('STOCK_KEY_CONFLICT', `idempotency key ${first.idempotencyKey} was already applied`, 'idempotency_key');
  }
  // Summed per position, so one statement updates each balance row once.
  const sums = new Map<string, OrderStockChange & { inTransit: number }>();
  for (const c of changes) {
    const k = `${c.skuId}|${c.locationId}|${c.batch}`;
    const s = sums.get(k);
    if (s) {
      s.onHand += c.onHand;
      s.reserved += c.reserved;
      s.inTransit += c.inTransit ?? 0;
    } else sums.set(k, { ...c, inTransit: c.inTransit ?? 0 });
  }
  const list = [...sums.values()];
  const updated = await sql<{ n: number }>`
    insert into stock_balances as b (sku_id, location_id, batch, expiry_date, on_hand, reserved, in_transit, updated_at)
    select * , now() from unnest(${list.map((s) => s.skuId)}::uuid[], ${list.map((s) => s.locationId)}::uuid[], ${list.map((s) => s.batch)}::text[],
      ${list.map((s) => s.expiryDate)}::date[], ${list.map((s) => s.onHand)}::int[], ${list.map((s) => s.reserved)}::int[], ${list.map((s) => s.inTransit)}::int[])
    on conflict (sku_id, location_id, batch) do update set
      on_hand = b.on_hand + excluded.on_hand,
      reserved = b.reserved + excluded.reserved,
      in_transit = b.in_transit + excluded.in_transit,
      expiry_date = coalesce(b.expiry_date, excluded.expiry_date),
      updated_at = now()
    where excluded.reserved <= 0 or b.reserved + excluded.reserved <= b.on_hand + excluded.on_hand
    returning 1 as n`.execute(trx);
  if (updated.rows.length !== list.length) {
    throw new StockError('STOCK_NOT_AVAILABLE', 'the change would reserve more than is on hand', 'reserved');
  }
}
