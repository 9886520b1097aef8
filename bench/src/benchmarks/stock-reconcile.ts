/**
 * Full snapshot reconcile of 500 SKUs × 308 locations × 3 batches (462,000 rows) into PostgreSQL, against a
 * plain insert of the same rows into a bare table in the same run (same driver, same chunked unnest load).
 * Target: < 30 s for the full reconcile of an empty ledger (every row a difference, recorded as a movement);
 * the steady-state reconcile (1% of rows changed) is reported beside it.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { openDatabase } from '../../../gateway/src/platform/db';
import { importRegions } from '../../../gateway/src/regions/catalogue';
import { reconcileSnapshot } from '../../../gateway/src/stock/reconcile';
import type { SnapshotRow } from '../../../gateway/src/stock/model';
import { below, observed } from '../harness/compare';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import type { BenchResult } from '../types';

const SKUS = 500;
const LOCATIONS = 308;
const BATCHES = 3;
const LIMIT_S = 30;

export default async function run(): Promise<BenchResult[]> {
  const pgChoice = await choosePostgres();
  if (!pgChoice.run) throw new Error(`stock-reconcile needs PostgreSQL: ${pgChoice.reason}`);
  const schema = benchSchemaName();
  const h = await openDatabase({ url: pgChoice.url, schema, poolSize: 4 });
  try {
    const db = h.db;
    await importRegions(db);
    const skuIds = (
      await db
        .insertInto('skus')
        .values(Array.from({ length: SKUS }, (_, i) => ({ gtin: `0690${String(i).padStart(10, '0')}`, name: `bench ${i}`, category: 'formula' as const, units_per_case: 6, shelf_life_days: 720, expiry_warning_days: 180 })))
        .returning('id')
        .execute()
    ).map((r) => r.id);
    const locationIds = (
      await db
        .insertInto('parties')
        .values(Array.from({ length: LOCATIONS }, (_, i) => ({ code: `BL-${i}`, kind: i < 8 ? ('warehouse' as const) : ('store' as const), name: `bench ${i}`, region_code: '420106', tier: null })))
        .returning('id')
        .execute()
    ).map((r) => r.id);
    const rows: SnapshotRow[] = [];
    for (const skuId of skuIds)
      for (const locationId of locationIds)
        for (let b = 0; b < BATCHES; b++) rows.push({ skuId, batch: `B${b}`, expiryDate: `2027-0${b + 1}-15`, locationId, onHand: 1 + ((rows.length * 7) % 500), reserved: rows.length % 5, inTransit: 0 });

    // Baseline: the same rows, the same chunked unnest load, into a bare table with the same primary key.
    await sql`create table bench_plain (sku_id uuid, location_id uuid, batch text, expiry_date date, on_hand int, reserved int, in_transit int, primary key (sku_id, location_id, batch))`.execute(db);
    const t0 = performance.now();
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 20_000) {
        const c = rows.slice(i, i + 20_000);
        await sql`insert into bench_plain select * from unnest(${c.map((r) => r.skuId)}::uuid[], ${c.map((r) => r.locationId)}::uuid[], ${c.map((r) => r.batch)}::text[],
          ${c.map((r) => r.expiryDate)}::date[], ${c.map((r) => r.onHand)}::int[], ${c.map((r) => r.reserved)}::int[], ${c.map((r) => r.inTransit)}::int[])`.execute(trx);
      }
    });
    const plainS = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    const first = await reconcileSnapshot(db, { key: `bench-${crypto.randomUUID()}`, source: 'bench', asOf: new Date(Date.now() - 60_000), locationIds, rows });
    const fullS = (performance.now() - t1) / 1000;
    if (first.differences !== rows.length) throw new Error(`expected ${rows.length} differences, got ${first.differences}`);

    const changed = rows.map((r, i) => (i % 100 === 0 ? { ...r, onHand: r.onHand + 1 } : r));
    const t2 = performance.now();
    const second = await reconcileSnapshot(db, { key: `bench-${crypto.randomUUID()}`, source: 'bench', asOf: new Date(), locationIds, rows: changed });
    const steadyS = (performance.now() - t2) / 1000;
    if (second.differences !== Math.ceil(rows.length / 100)) throw new Error(`expected ${Math.ceil(rows.length / 100)} differences, got ${second.differences}`);

    const baseline = { name: `plain chunked insert of the same ${rows.length} rows`, value: plainS };
    return [
      below({ name: `stock reconcile, ${rows.length} rows, empty ledger [postgres]`, metric: 'duration', value: fullS, unit: 's', baseline }, LIMIT_S),
      observed({ name: `stock reconcile, ${rows.length} rows, 1% changed [postgres]`, metric: 'duration', value: steadyS, unit: 's', baseline }),
    ];
  } finally {
    await h.close();
    await dropSchema(pgChoice.url, schema);
  }
}

if (require.main === module) runStandalone(run);
