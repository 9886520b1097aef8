/**
 * Network visibility of one SKU across all 308 locations (3 batches each, 924 positions), authenticated,
 * through the real gateway, against a bare Express 5 route serving a body of the same size in the same run.
 * Target: p99 < 50 ms. The stock arrives the way a source system sends it (snapshots per 100 locations).
 */
import { below, observed } from '../harness/compare';
import { startBareExpress } from '../harness/bare-express-server';
import { login, startGateway } from '../harness/gateway';
import { loadTest } from '../harness/load';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import { loadSettings } from '../harness/settings';
import type { BenchResult } from '../types';

const P99_LIMIT_MS = 50;

async function call(url: string, token: string, method: string, body?: unknown) {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return { text, json: JSON.parse(text) as any };
}

async function measure(label: 'pglite' | 'postgres', databaseUrl?: string): Promise<BenchResult[]> {
  const settings = loadSettings();
  const schema = databaseUrl ? benchSchemaName() : undefined;
  const gw = await startGateway({ databaseUrl, databaseSchema: schema });
  try {
    const token = await login(gw.url);
    const skus = (await call(`${gw.url}/api/v1/skus?category=formula&limit=5`, token, 'GET')).json.items.map((s: { gtin: string }) => s.gtin) as string[];
    const codes: string[] = [];
    for (const path of ['/api/v1/warehouses?limit=500', '/api/v1/stores?limit=500']) codes.push(...(await call(gw.url + path, token, 'GET')).json.items.map((p: { code: string }) => p.code));
    const locations = codes.slice(0, 308);
    const asOf = new Date().toISOString();
    for (let i = 0; i < locations.length; i += 100) {
      const group = locations.slice(i, i + 100);
      const rows = group.flatMap((location) => skus.flatMap((sku) => [0, 1, 2].map((b) => ({ sku, batch: `VB${b}`, expiry_date: `2027-0${b + 1}-01`, location, on_hand: 10 + b }))));
      await call(`${gw.url}/api/v1/stock/snapshots`, token, 'POST', { key: `bench-${i}-${asOf}`, source: 'bench', as_of: asOf, locations: group, rows });
    }
    const path = `/api/v1/stock/network?sku=${skus[0]}`;
    const probe = await call(gw.url + path, token, 'GET');
    const positions = probe.json.items[0].locations.reduce((n: number, l: { batches: unknown[] }) => n + l.batches.length, 0);
    if (positions !== locations.length * 3) throw new Error(`the view shows ${positions} positions, expected ${locations.length * 3}`);
    const load = await loadTest({ url: gw.url + path, headers: { authorization: `Bearer ${token}` }, connections: settings.connections, durationSec: settings.durationSec, warmupSec: settings.warmupSec });
    const bare = await startBareExpress(Buffer.byteLength(probe.text));
    let base;
    try {
      base = await loadTest({ url: `${bare.url}/payload`, connections: settings.connections, durationSec: settings.durationSec, warmupSec: settings.warmupSec });
    } finally {
      await bare.stop();
    }
    const name = `stock network view, 1 SKU × ${locations.length} locations × 3 batches [${label}]`;
    const baseline = `bare Express 5, ${Buffer.byteLength(probe.text)} B JSON`;
    const p99 = below({ name, metric: 'p99 latency', value: load.latency.p99, unit: 'ms', baseline: { name: baseline, value: base.latency.p99 } }, P99_LIMIT_MS);
    if (load.non2xx + load.errors > 0) p99.met = false;
    return [
      p99,
      observed({ name, metric: 'throughput', value: load.requestsPerSec, unit: 'req/s', baseline: { name: baseline, value: base.requestsPerSec } }),
      { name, metric: 'failed requests', value: load.non2xx + load.errors, unit: '', target: '= 0', met: load.non2xx + load.errors === 0 },
    ];
  } finally {
    await gw.stop();
    if (databaseUrl && schema) await dropSchema(databaseUrl, schema);
  }
}

export default async function run(): Promise<BenchResult[]> {
  const results = await measure('pglite');
  const pgChoice = await choosePostgres();
  if (pgChoice.run) results.push(...(await measure('postgres', pgChoice.url)));
  else process.stderr.write(`stock-visibility: skipping PostgreSQL: ${pgChoice.reason}\n`);
  return results;
}

if (require.main === module) runStandalone(run);
