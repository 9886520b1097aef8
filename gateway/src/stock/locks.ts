import { sql, type Transaction } from 'kysely';
import type { Database } from '../platform/db';

/**
 * Takes the freshness rows of these locations for update, creating the (location, source) ones that are missing,
 * and returns each location's latest snapshot time. Movements and snapshot reconciliations both take these locks,
 * so a movement can never slip in between a reconciliation's read of the ledger and its write (it would be
 * counted twice: once by the snapshot, once by itself). Rows are locked in a fixed order to avoid deadlocks.
 */
export async function lockLocations(
  trx: Transaction<Database>,
  pairs: ReadonlyArray<{ locationId: string; source: string }>,
): Promise<Map<string, Date | null>> {
  const unique = [...new Map(pairs.map((p) => [`${p.locationId}|${p.source}`, p])).values()].sort((a, b) =>
    a.locationId === b.locationId ? (a.source < b.source ? -1 : 1) : a.locationId < b.locationId ? -1 : 1,
  );
  if (unique.length === 0) return new Map();
  await trx
    .insertInto('stock_location_freshness')
    .values(unique.map((p) => ({ location_id: p.locationId, source: p.source })))
    .onConflict((oc) => oc.columns(['location_id', 'source']).doNothing())
    .execute();
  const locationIds = [...new Set(unique.map((p) => p.locationId))];
  const rows = await sql<{ location_id: string; last_snapshot_as_of: Date | null }>`
    select location_id, last_snapshot_as_of from stock_location_freshness
    where location_id = any(${locationIds}::uuid[])
    order by location_id, source
    for update`.execute(trx);
  const latest = new Map<string, Date | null>(locationIds.map((id) => [id, null]));
  for (const r of rows.rows) {
    const prev = latest.get(r.location_id) ?? null;
    if (r.last_snapshot_as_of && (!prev || r.last_snapshot_as_of > prev)) latest.set(r.location_id, r.last_snapshot_as_of);
  }
  return latest;
}
