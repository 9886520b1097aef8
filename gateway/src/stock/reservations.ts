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
 *
 * Atomic under concurrency: the candidate balance rows are locked (`for update`, in key order so two orders never
 * deadlock) before availability is read, so two transactions can never both take the last units. Each location's
 * freshness rows are held `for key share`: a snapshot reconciliation (which takes them `for update`) waits for
 * the reservation to commit, and reservations at one location do not wait for each other.
 */
export async function reserveFirstExpiryFirst(trx: Kysely<Database>, requests: readonly ReservationRequest[], opts: { reference: string; at: Date }): Promise<ReservationResult[]> {
  if (!trx.isTransaction) throw new Error('reserveFirstExpiryFirst must run inside the caller’s transaction');
  const skuIds = [...new Set(requests.map((r) => r.skuId))];
  const locationIds = [...new Set(requests.flatMap((r) => r.locationIds))];
  if (skuIds.length === 0 || locationIds.length === 0) return requests.map((r) => ({ key: r.key, requested: r.quantity, reserved: 0, picks: [] }));
  type Row = { sku_id: string; location_id: string; batch: string; expiry_date: string | null; available: number };
  // Read the candidates without a lock, plan the picks, then lock only the planned rows (in key order, so two orders
  // never deadlock on them) and plan again on their locked figures. Rows that turn out short bring the next
  // candidates in, a round at a time; only those later rounds can meet another order's locks out of order, and a
  // deadlock there fails the transaction (the caller retries), never a wrong count.
  // The first round trip holds the locations' freshness rows (`for key share`, in key order), reads the candidates,
  // and (when the requests share one location preference, as an order's lines do, and every location has its
  // freshness row) plans the picks in SQL on the unlocked figures and locks just the planned rows in key order. The
  // plan is only a plan: the picks below are made on the locked figures, and rows that fell short bring in more.
  const sortedLocations = [...locationIds].sort();
  const prefs = requests[0]!.locationIds;
  const shared = requests.every((r) => r.locationIds.length === prefs.length && r.locationIds.every((l, i) => l === prefs[i]));
  const first = await sql<Row & { kind: 'h' | 'l' | 'c' }>`
      with held as materialized (
        select location_id from stock_location_freshness where location_id = any(${sortedLocations}::uuid[])
        order by location_id, source for key share),
      c as materialized (
        select sku_id, location_id, batch, expiry_date, on_hand - reserved as available
        from stock_balances
        where sku_id = any(${skuIds}::uuid[]) and location_id = any(${sortedLocations}::uuid[]) and on_hand > reserved),
      r as (
        select * from unnest(${requests.map((q) => q.skuId)}::uuid[], ${requests.map((q) => q.quantity)}::int[], ${requests.map((q) => q.notExpiringBefore)}::date[]) with ordinality as r(sku_id, want, not_before, i)),
      w as (
        select c.sku_id, c.location_id, c.batch, r.want,
          coalesce(sum(c.available) over (partition by r.i order by array_position(${prefs}::uuid[], c.location_id), c.expiry_date nulls last, c.batch collate "C"
            rows between unbounded preceding and 1 preceding), 0) as before
        from r join c on c.sku_id = r.sku_id and (r.not_before is null or c.expiry_date is null or c.expiry_date >= r.not_before)
        where ${shared}),
      l as materialized (
        select b.sku_id, b.location_id, b.batch, b.expiry_date, b.on_hand - b.reserved as available
        from stock_balances b
        where (b.sku_id, b.location_id, b.batch) in (select sku_id, location_id, batch from w where before < want)
          and (select count(distinct location_id) from held) = ${sortedLocations.length}
        order by b.sku_id, b.location_id, b.batch
        for update of b)
      select 'h' as kind, null::uuid as sku_id, location_id, null::text as batch, null::text as expiry_date, null::int as available from held
      union all
      select 'l', sku_id, location_id, batch, expiry_date::text, available from l
      union all
      select 'c', sku_id, location_id, batch, expiry_date::text, available from c`.execute(trx);
  const candidates: Row[] = [];
  const heldLocations = new Set<string>();
  const keyOf = (r: { sku_id: string; location_id: string; batch: string }) => `${r.sku_id}|${r.location_id}|${r.batch}`;
  const locked = new Map<string, Row>();
  for (const r of first.rows) {
    if (r.kind === 'h') heldLocations.add(r.location_id);
    else if (r.kind === 'l') locked.set(keyOf(r), { sku_id: r.sku_id, location_id: r.location_id, batch: r.batch, expiry_date: r.expiry_date, available: r.available });
    else candidates.push({ sku_id: r.sku_id, location_id: r.location_id, batch: r.batch, expiry_date: r.expiry_date, available: r.available });
  }
  if (heldLocations.size < sortedLocations.length) await holdLocations(trx, sortedLocations.filter((id) => !heldLocations.has(id)));
  for (let round = 0; ; round++) {
    const view = candidates.map((c) => locked.get(keyOf(c)) ?? c);
    const wanted = planPicks(requests, view).filter((k) => !locked.has(k));
    if (wanted.length === 0 || round === 3) break;
    const parts = wanted.map((k) => k.split('|') as [string, string, string]).sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));
    const fresh = await sql<Row>`
      select sku_id, location_id, batch, expiry_date::text as expiry_date, on_hand - reserved as available
      from stock_balances
      where (sku_id, location_id, batch) in (select * from unnest(${parts.map((p) => p[0])}::uuid[], ${parts.map((p) => p[1])}::uuid[], ${parts.map((p) => p[2])}::text[]))
      order by sku_id, location_id, batch
      for update`.execute(trx);
    const seen = new Set<string>();
    for (const r of fresh.rows) {
      locked.set(keyOf(r), r);
      seen.add(keyOf(r));
    }
    for (const k of wanted) if (!seen.has(k)) locked.set(k, { ...candidates.find((c) => keyOf(c) === k)!, available: 0 });
  }
  const bySkuLocation = new Map<string, Row[]>();
  for (const r of locked.values()) {
    const k = `${r.sku_id}|${r.location_id}`;
    const list = bySkuLocation.get(k);
    if (list) list.push(r);
    else bySkuLocation.set(k, [r]);
  }
  for (const list of bySkuLocation.values()) list.sort(fefoOrder);
  const results: ReservationResult[] = [];
  const changes: OrderStockChange[] = [];
  for (const req of requests) {
    let left = req.quantity;
    const picks: ReservationPick[] = [];
    for (const loc of req.locationIds) {
      if (left <= 0) break;
      for (const row of bySkuLocation.get(`${req.skuId}|${loc}`) ?? []) {
        if (left <= 0) break;
        if (row.available <= 0) continue;
        if (req.notExpiringBefore !== null && row.expiry_date !== null && row.expiry_date < req.notExpiringBefore) continue;
        const take = Math.min(left, row.available);
        row.available -= take; // a later request for the same SKU sees what this one left
        left -= take;
        const pick = { locationId: loc, batch: row.batch, expiryDate: row.expiry_date, quantity: take, movementKey: `${req.key}:${loc}:${row.batch}` };
        picks.push(pick);
        changes.push({ idempotencyKey: pick.movementKey, reason: 'reservation', skuId: req.skuId, locationId: loc, batch: row.batch, expiryDate: row.expiry_date, onHand: 0, reserved: take, reference: opts.reference });
      }
    }
    results.push({ key: req.key, requested: req.quantity, reserved: req.quantity - left, picks });
  }
  await applyReservations(trx, changes, opts.at);
  return results;
}

const fefoOrder = (a: { expiry_date: string | null; batch: string }, b: { expiry_date: string | null; batch: string }) =>
  a.expiry_date === b.expiry_date ? (a.batch < b.batch ? -1 : 1) : a.expiry_date === null ? 1 : b.expiry_date === null ? -1 : a.expiry_date < b.expiry_date ? -1 : 1;

/** The rows (`sku|location|batch`) the picks would take from, given these availabilities: the plan before locking. */
function planPicks(requests: readonly ReservationRequest[], rows: ReadonlyArray<{ sku_id: string; location_id: string; batch: string; expiry_date: string | null; available: number }>): string[] {
  const left = new Map(rows.map((r) => [`${r.sku_id}|${r.location_id}|${r.batch}`, r.available]));
  const sorted = [...rows].sort(fefoOrder);
  const keys = new Set<string>();
  for (const req of requests) {
    let want = req.quantity;
    for (const loc of req.locationIds) {
      for (const r of sorted) {
        if (want <= 0) break;
        if (r.sku_id !== req.skuId || r.location_id !== loc) continue;
        if (req.notExpiringBefore !== null && r.expiry_date !== null && r.expiry_date < req.notExpiringBefore) continue;
        const k = `${r.sku_id}|${r.location_id}|${r.batch}`;
        const avail = left.get(k) ?? 0;
        if (avail <= 0) continue;
        const take = Math.min(want, avail);
        left.set(k, avail - take);
        want -= take;
        keys.add(k);
      }
    }
  }
  return [...keys];
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

/**
 * The reservations' movements and balances in one statement (the balance rows are already locked by the caller):
 * a key applied before or a balance that would go short fails the call, and the caller's transaction rolls back.
 */
async function applyReservations(trx: Kysely<Database>, changes: readonly OrderStockChange[], at: Date): Promise<void> {
  if (changes.length === 0) return;
  const sums = new Map<string, { skuId: string; locationId: string; batch: string; expiryDate: string | null; reserved: number }>();
  for (const c of changes) {
    const k = `${c.skuId}|${c.locationId}|${c.batch}`;
    const s = sums.get(k);
    if (s) s.reserved += c.reserved;
    else sums.set(k, { skuId: c.skuId, locationId: c.locationId, batch: c.batch, expiryDate: c.expiryDate, reserved: c.reserved });
  }
  const list = [...sums.values()].sort((a, b) => (`${a.skuId}|${a.locationId}|${a.batch}` < `${b.skuId}|${b.locationId}|${b.batch}` ? -1 : 1));
  const r = await sql<{ movements: number; balances: number; keys: string[] | null }>`
    with m as (
      insert into stock_movements (idempotency_key, source, reason, sku_id, batch, expiry_date, location_id, d_on_hand, d_reserved, d_in_transit, occurred_at, applied, reference)
      select v.k, ${SOURCE}, v.reason, v.sku, v.batch, v.exp, v.loc, 0, v.n, 0, ${at}::timestamptz, true, v.ref
      from unnest(${changes.map((c) => c.idempotencyKey)}::text[], ${changes.map((c) => c.reason)}::text[], ${changes.map((c) => c.skuId)}::uuid[], ${changes.map((c) => c.batch)}::text[],
        ${changes.map((c) => c.expiryDate)}::date[], ${changes.map((c) => c.locationId)}::uuid[], ${changes.map((c) => c.reserved)}::int[], ${changes.map((c) => c.reference)}::text[])
        as v(k, reason, sku, batch, exp, loc, n, ref)
      on conflict (idempotency_key) do nothing
      returning idempotency_key),
    b as (
      update stock_balances s set reserved = s.reserved + v.n, updated_at = now()
      from unnest(${list.map((c) => c.skuId)}::uuid[], ${list.map((c) => c.locationId)}::uuid[], ${list.map((c) => c.batch)}::text[], ${list.map((c) => c.reserved)}::int[]) as v(sku, loc, batch, n)
      where s.sku_id = v.sku and s.location_id = v.loc and s.batch = v.batch and s.reserved + v.n <= s.on_hand
      returning 1)
    select (select count(*) from m)::int as movements, (select count(*) from b)::int as balances, (select array_agg(idempotency_key) from m) as keys`.execute(trx);
  const out = r.rows[0]!;
  if (out.movements !== changes.length) {
    const got = new Set(out.keys ?? []);
    const missing = changes.find((c) => !got.has(c.idempotencyKey))!;
    throw new StockError('STOCK_KEY_CONFLICT', `idempotency key ${missing.idempotencyKey} was already applied`, 'idempotency_key');
  }
  if (out.balances !== list.length) throw new StockError('STOCK_NOT_AVAILABLE', 'the change would reserve more than is on hand', 'reserved');
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
