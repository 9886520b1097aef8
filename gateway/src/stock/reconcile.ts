import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { StockError } from './errors';
import { lockLocations } from './locks';
import type { ReconciliationResult, SnapshotInput } from './model';

const LOAD_CHUNK = 20_000;

/**
 * Reconciles a source system's snapshot against the ledger without overwriting history: for every position of
 * the snapshot's locations it compares what the source says with what the ledger held at the snapshot's time
 * (today's balance minus the movements that happened after it), and records each difference as a `reconcile`
 * movement carrying the source's figures. Movements after the snapshot stay applied. A snapshot no newer than
 * the last one of the same source for any of its locations is `stale` (a source that restarted and replays old
 * data) and changes nothing; a snapshot key seen before is a `duplicate`.
 */
export async function reconcileSnapshot(db: Db, snap: SnapshotInput): Promise<ReconciliationResult> {
  const locations = new Set(snap.locationIds);
  const seen = new Set<string>();
  snap.rows.forEach((r, i) => {
    if (!locations.has(r.locationId)) throw new StockError('STOCK_INVALID_SNAPSHOT', `rows.${i}: location ${r.locationId} is not one of the snapshot's locations`, `rows.${i}.location`);
    const k = `${r.skuId}|${r.locationId}|${r.batch}`;
    if (seen.has(k)) throw new StockError('STOCK_INVALID_SNAPSHOT', `rows.${i}: the same SKU, batch and location appear twice`, `rows.${i}`);
    seen.add(k);
  });

  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('stock_reconciliations').selectAll().where('snapshot_key', '=', snap.key).executeTakeFirst();
    if (before) return { id: before.id, status: 'duplicate', rows: before.rows, differences: before.differences, note: before.note };

    await lockLocations(trx, snap.locationIds.map((locationId) => ({ locationId, source: snap.source })));
    const newer = await trx
      .selectFrom('stock_location_freshness')
      .select(['location_id', 'last_snapshot_as_of'])
      .where('source', '=', snap.source)
      .where('location_id', 'in', snap.locationIds.length ? snap.locationIds : ['00000000-0000-0000-0000-000000000000'])
      .where('last_snapshot_as_of', '>=', snap.asOf)
      .execute();
    if (newer.length > 0) {
      const note = `${newer.length} location(s) already reconciled with a snapshot of ${snap.source} as of ${newer[0]!.last_snapshot_as_of!.toISOString()} or later`;
      const row = await trx
        .insertInto('stock_reconciliations')
        .values({ snapshot_key: snap.key, source: snap.source, as_of: snap.asOf, location_ids: snap.locationIds, rows: snap.rows.length, status: 'stale', note })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id, status: 'stale', rows: snap.rows.length, differences: 0, note };
    }

    const rec = await trx
      .insertInto('stock_reconciliations')
      .values({ snapshot_key: snap.key, source: snap.source, as_of: snap.asOf, location_ids: snap.locationIds, rows: snap.rows.length, status: 'applied', note: snap.partial ? 'partial: positions absent from the snapshot were left as they were' : null })
      .returning('id')
      .executeTakeFirstOrThrow();

    await sql`create temp table stock_snapshot_rows (
      sku_id uuid not null, batch text not null, expiry_date date, location_id uuid not null,
      on_hand integer not null, reserved integer not null, in_transit integer not null) on commit drop`.execute(trx);
    for (let i = 0; i < snap.rows.length; i += LOAD_CHUNK) {
      const c = snap.rows.slice(i, i + LOAD_CHUNK);
      await sql`insert into stock_snapshot_rows
        select * from unnest(${c.map((r) => r.skuId)}::uuid[], ${c.map((r) => r.batch)}::text[], ${c.map((r) => r.expiryDate)}::date[],
          ${c.map((r) => r.locationId)}::uuid[], ${c.map((r) => r.onHand)}::int[], ${c.map((r) => r.reserved)}::int[], ${c.map((r) => r.inTransit)}::int[])`.execute(trx);
    }
    await sql`analyze stock_snapshot_rows`.execute(trx);

    const result = await sql<{ differences: number }>`
      with later as (
        select sku_id, location_id, batch, sum(d_on_hand) as oh, sum(d_reserved) as rs, sum(d_in_transit) as tr
        from stock_movements
        where location_id = any(${snap.locationIds}::uuid[]) and occurred_at > ${snap.asOf} and applied
        group by sku_id, location_id, batch
      ),
      ledger as (
        select b.sku_id, b.location_id, b.batch, b.expiry_date,
               b.on_hand - coalesce(l.oh, 0) as oh, b.reserved - coalesce(l.rs, 0) as rs, b.in_transit - coalesce(l.tr, 0) as tr
        from stock_balances b left join later l using (sku_id, location_id, batch)
        where b.location_id = any(${snap.locationIds}::uuid[])
      ),
      diff as (
        select coalesce(s.sku_id, g.sku_id) as sku_id, coalesce(s.location_id, g.location_id) as location_id,
               coalesce(s.batch, g.batch) as batch, coalesce(s.expiry_date, g.expiry_date) as expiry_date,
               coalesce(s.on_hand, 0) - coalesce(g.oh, 0) as d_oh, coalesce(s.reserved, 0) - coalesce(g.rs, 0) as d_rs,
               coalesce(s.in_transit, 0) - coalesce(g.tr, 0) as d_tr,
               coalesce(s.on_hand, 0) as s_oh, coalesce(s.reserved, 0) as s_rs, coalesce(s.in_transit, 0) as s_tr
        from stock_snapshot_rows s ${snap.partial ? sql`left join` : sql`full join`} ledger g
          on g.sku_id = s.sku_id and g.location_id = s.location_id and g.batch = s.batch
      ),
      moved as (
        insert into stock_movements (idempotency_key, source, reason, sku_id, batch, expiry_date, location_id,
          d_on_hand, d_reserved, d_in_transit, occurred_at, reconciliation_id, snapshot_on_hand, snapshot_reserved, snapshot_in_transit)
        select 'reconcile:' || ${rec.id}::text || ':' || sku_id || ':' || location_id || ':' || batch, ${snap.source}, 'reconcile', sku_id, batch,
               expiry_date, location_id, d_oh, d_rs, d_tr, ${snap.asOf}, ${rec.id}, s_oh, s_rs, s_tr
        from diff where d_oh <> 0 or d_rs <> 0 or d_tr <> 0
        returning sku_id, location_id, batch, expiry_date, d_on_hand, d_reserved, d_in_transit
      ),
      balanced as (
        insert into stock_balances (sku_id, location_id, batch, expiry_date, on_hand, reserved, in_transit, updated_at)
        select sku_id, location_id, batch, expiry_date, d_on_hand, d_reserved, d_in_transit, now() from moved
        on conflict (sku_id, location_id, batch) do update set
          on_hand = stock_balances.on_hand + excluded.on_hand,
          reserved = stock_balances.reserved + excluded.reserved,
          in_transit = stock_balances.in_transit + excluded.in_transit,
          expiry_date = coalesce(excluded.expiry_date, stock_balances.expiry_date),
          updated_at = now()
        returning 1
      )
      select (select count(*) from balanced)::int as differences`.execute(trx);
    const differences = Number(result.rows[0]?.differences ?? 0);

    await trx.updateTable('stock_reconciliations').set({ differences }).where('id', '=', rec.id).execute();
    await trx
      .updateTable('stock_location_freshness')
      .set({ last_snapshot_as_of: snap.asOf, data_as_of: sql`greatest(data_as_of, ${snap.asOf})`, received_at: new Date() })
      .where('source', '=', snap.source)
      .where('location_id', 'in', snap.locationIds.length ? snap.locationIds : ['00000000-0000-0000-0000-000000000000'])
      .execute();
    return { id: rec.id, status: 'applied', rows: snap.rows.length, differences, note: snap.partial ? 'partial' : null };
  });
}
