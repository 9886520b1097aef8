import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { StockError } from './errors';
import { lockLocations } from './locks';
import type { MovementInput, MovementOutcome, MovementStatus } from './model';

export interface RecordOptions {
  /**
   * `reject`: a key reused with different content fails the whole call and nothing changes (the HTTP API).
   * `report`: that movement is reported as `conflict` and the others go through (connectors dead-letter it).
   */
  onConflict?: 'reject' | 'report';
}

const CHUNK = 500;

/**
 * Records movements and applies them to the balances, in one transaction: each idempotency key is applied once
 * ever (a key seen before is a `duplicate`, or a `conflict` if its content differs), and a movement that happened
 * before the location's latest snapshot is recorded but not applied (`covered`): the snapshot already counted it.
 */
export async function recordMovements(db: Db, inputs: readonly MovementInput[], opts: RecordOptions = {}): Promise<MovementOutcome[]> {
  if (inputs.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const snapshots = await lockLocations(trx, inputs.map((m) => ({ locationId: m.locationId, source: m.source })));
    const outcomes = new Map<string, MovementOutcome>();
    const firstByKey = new Map<string, MovementInput>();
    for (const m of inputs) if (!firstByKey.has(m.idempotencyKey)) firstByKey.set(m.idempotencyKey, m);
    const unique = [...firstByKey.values()];

    const inserted: Array<{ id: number; key: string; applied: boolean }> = [];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      const rows = await trx
        .insertInto('stock_movements')
        .values(
          chunk.map((m) => {
            const snap = snapshots.get(m.locationId) ?? null;
            return {
              idempotency_key: m.idempotencyKey,
              source: m.source,
              reason: m.reason,
              sku_id: m.skuId,
              batch: m.batch,
              expiry_date: m.expiryDate,
              location_id: m.locationId,
              d_on_hand: m.onHand ?? 0,
              d_reserved: m.reserved ?? 0,
              d_in_transit: m.inTransit ?? 0,
              occurred_at: m.occurredAt,
              applied: snap === null || m.occurredAt > snap,
              reference: m.reference ?? null,
            };
          }),
        )
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning(['id', 'idempotency_key', 'applied'])
        .execute();
      for (const r of rows) inserted.push({ id: r.id, key: r.idempotency_key, applied: r.applied });
    }
    for (const r of inserted) outcomes.set(r.key, { idempotencyKey: r.key, status: r.applied ? 'applied' : 'covered', movementId: r.id });

    const seenBefore = unique.filter((m) => !outcomes.has(m.idempotencyKey));
    if (seenBefore.length > 0) {
      const existing = await trx
        .selectFrom('stock_movements')
        .select(['id', 'idempotency_key', 'source', 'reason', 'sku_id', 'batch', 'location_id', 'd_on_hand', 'd_reserved', 'd_in_transit'])
        .where('idempotency_key', 'in', seenBefore.map((m) => m.idempotencyKey))
        .execute();
      const byKey = new Map(existing.map((e) => [e.idempotency_key, e]));
      for (const m of seenBefore) {
        const e = byKey.get(m.idempotencyKey);
        if (!e) throw new Error(`movement ${m.idempotencyKey} was neither inserted nor found`);
        const same =
          e.source === m.source && e.reason === m.reason && e.sku_id === m.skuId && e.batch === m.batch && e.location_id === m.locationId &&
          e.d_on_hand === (m.onHand ?? 0) && e.d_reserved === (m.reserved ?? 0) && e.d_in_transit === (m.inTransit ?? 0);
        const status: MovementStatus = same ? 'duplicate' : 'conflict';
        if (status === 'conflict' && opts.onConflict !== 'report') {
          const index = inputs.indexOf(m);
          throw new StockError('STOCK_KEY_CONFLICT', `idempotency key ${m.idempotencyKey} was already used for a different movement (#${e.id})`, `movements.${index}.idempotency_key`);
        }
        outcomes.set(m.idempotencyKey, { idempotencyKey: m.idempotencyKey, status, movementId: e.id });
      }
    }

    // Keys repeated inside this call: the later copies are duplicates (or conflicts) of the first.
    const result: MovementOutcome[] = [];
    const reported = new Set<string>();
    for (const m of inputs) {
      const o = outcomes.get(m.idempotencyKey)!;
      if (!reported.has(m.idempotencyKey)) {
        reported.add(m.idempotencyKey);
        result.push(o);
        continue;
      }
      const first = firstByKey.get(m.idempotencyKey)!;
      const same = first.skuId === m.skuId && first.batch === m.batch && first.locationId === m.locationId && (first.onHand ?? 0) === (m.onHand ?? 0) &&
        (first.reserved ?? 0) === (m.reserved ?? 0) && (first.inTransit ?? 0) === (m.inTransit ?? 0) && first.reason === m.reason;
      if (!same && opts.onConflict !== 'report') {
        throw new StockError('STOCK_KEY_CONFLICT', `idempotency key ${m.idempotencyKey} appears twice with different content`, `movements.${inputs.indexOf(m, inputs.indexOf(first) + 1)}.idempotency_key`);
      }
      result.push({ idempotencyKey: m.idempotencyKey, status: same ? 'duplicate' : 'conflict', movementId: o.movementId });
    }

    // Apply the new, applicable movements to the balances, summed per position.
    const appliedIds = inserted.filter((r) => r.applied).map((r) => r.id);
    for (let i = 0; i < appliedIds.length; i += 5000) {
      await sql`
        insert into stock_balances (sku_id, location_id, batch, expiry_date, on_hand, reserved, in_transit, updated_at)
        select sku_id, location_id, batch, max(expiry_date), sum(d_on_hand), sum(d_reserved), sum(d_in_transit), now()
        from stock_movements where id = any(${appliedIds.slice(i, i + 5000)}::bigint[])
        group by sku_id, location_id, batch
        on conflict (sku_id, location_id, batch) do update set
          on_hand = stock_balances.on_hand + excluded.on_hand,
          reserved = stock_balances.reserved + excluded.reserved,
          in_transit = stock_balances.in_transit + excluded.in_transit,
          expiry_date = coalesce(stock_balances.expiry_date, excluded.expiry_date),
          updated_at = now()`.execute(trx);
    }

    // Freshness: the source's time of the newest data we now hold for each location.
    const newest = new Map<string, { locationId: string; source: string; at: Date }>();
    for (const m of unique) {
      const k = `${m.locationId}|${m.source}`;
      const prev = newest.get(k);
      if (!prev || m.occurredAt > prev.at) newest.set(k, { locationId: m.locationId, source: m.source, at: m.occurredAt });
    }
    for (const n of newest.values()) {
      await trx
        .updateTable('stock_location_freshness')
        .set({ data_as_of: sql`greatest(data_as_of, ${n.at})`, received_at: new Date() })
        .where('location_id', '=', n.locationId)
        .where('source', '=', n.source)
        .execute();
    }
    return result;
  });
}
