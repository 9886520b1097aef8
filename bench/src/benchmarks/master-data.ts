/**
 * The authenticated, paged master-data read (GET /api/v1/skus?limit=50&offset=100) against a bare Express 5
 * route serving a body of the same byte size, in the same run. Targets: throughput >= 50% of the baseline,
 * p99 < 20 ms. Runs on PGlite, and on PostgreSQL too when one is reachable (see docs/bench.md).
 */
import { atLeastRatioOfBaseline, below, observed } from '../harness/compare';
import { startBareExpress } from '../harness/bare-express-server';
import { login, startGateway } from '../harness/gateway';
import { type LoadSummary, loadTest } from '../harness/load';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import { loadSettings } from '../harness/settings';
import type { BenchResult } from '../types';

const PATH = '/api/v1/skus?limit=50&offset=100';
const MIN_THROUGHPUT_RATIO = 0.5;
const P99_LIMIT_MS = 20;
const MiB = 1024 * 1024;

interface Variant {
  label: 'pglite' | 'postgres';
  databaseUrl?: string;
}

interface Measured {
  load: LoadSummary;
  peakRss: number | undefined;
}

interface PageProbe {
  bytes: number;
  items: number;
}

/** One real response, to size the baseline's body and to check the endpoint answers what the bench expects. */
async function probePage(url: string, token: string): Promise<PageProbe> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${PATH} answered ${res.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { items?: unknown; total?: unknown };
  if (!Array.isArray(body.items) || typeof body.total !== 'number') {
    throw new Error(`GET ${PATH} is not a page of { items, total, limit, offset }: ${text.slice(0, 300)}`);
  }
  return { bytes: Buffer.byteLength(text), items: body.items.length };
}

async function measureGateway(v: Variant): Promise<Measured & { page: PageProbe }> {
  const settings = loadSettings();
  const schema = v.databaseUrl ? benchSchemaName() : undefined;
  const gw = await startGateway({ databaseUrl: v.databaseUrl, databaseSchema: schema });
  try {
    const token = await login(gw.url);
    const page = await probePage(gw.url + PATH, token);
    if (page.items < 50) process.stderr.write(`master-data [${v.label}]: the page holds ${page.items} items, not 50; the demo data is small\n`);
    const load = await loadTest({
      url: gw.url + PATH,
      headers: { authorization: `Bearer ${token}` },
      connections: settings.connections,
      durationSec: settings.durationSec,
      warmupSec: settings.warmupSec,
    });
    const peakRss = gw.peakRssBytes();
    return { load, peakRss, page };
  } finally {
    await gw.stop();
    if (v.databaseUrl && schema) await dropSchema(v.databaseUrl, schema);
  }
}

async function measureBaseline(bodyBytes: number): Promise<Measured> {
  const settings = loadSettings();
  const bare = await startBareExpress(bodyBytes);
  try {
    const load = await loadTest({
      url: `${bare.url}/payload`,
      connections: settings.connections,
      durationSec: settings.durationSec,
      warmupSec: settings.warmupSec,
    });
    return { load, peakRss: bare.peakRssBytes() };
  } finally {
    await bare.stop();
  }
}

/** The report rows for one variant, from the gateway's and the baseline's measurements. */
export function masterDataResults(label: string, gw: Measured & { page: PageProbe }, base: Measured): BenchResult[] {
  const name = `master-data read [${label}]`;
  const baselineName = `bare Express 5, ${gw.page.bytes} B JSON`;
  const failed = gw.load.non2xx + gw.load.errors;
  const throughput = atLeastRatioOfBaseline(
    { name, metric: 'throughput', value: gw.load.requestsPerSec, unit: 'req/s', baseline: { name: baselineName, value: base.load.requestsPerSec } },
    MIN_THROUGHPUT_RATIO,
  );
  // Fast failures are not throughput: a run with failed requests cannot meet the target.
  if (failed > 0) throughput.met = false;
  const rows: BenchResult[] = [
    throughput,
    below(
      { name, metric: 'p99 latency', value: gw.load.latency.p99, unit: 'ms', baseline: { name: baselineName, value: base.load.latency.p99 } },
      P99_LIMIT_MS,
    ),
    {
      name,
      metric: 'failed requests',
      value: failed,
      unit: '',
      baseline: { name: baselineName, value: base.load.non2xx + base.load.errors },
      target: '= 0',
      met: failed === 0,
    },
  ];
  if (gw.peakRss !== undefined && base.peakRss !== undefined) {
    rows.push(
      observed({ name, metric: 'peak RSS', value: gw.peakRss / MiB, unit: 'MiB', baseline: { name: 'bare Express 5', value: base.peakRss / MiB } }),
    );
  }
  return rows;
}

export default async function run(): Promise<BenchResult[]> {
  const variants: Variant[] = [{ label: 'pglite' }];
  const pgChoice = await choosePostgres();
  if (pgChoice.run) variants.push({ label: 'postgres', databaseUrl: pgChoice.url });
  else process.stderr.write(`master-data: skipping PostgreSQL: ${pgChoice.reason}\n`);

  const results: BenchResult[] = [];
  for (const v of variants) {
    // One after the other, never side by side: on two cores the server and the load generator get one each.
    const gw = await measureGateway(v);
    const base = await measureBaseline(gw.page.bytes);
    results.push(...masterDataResults(v.label, gw, base));
  }
  return results;
}

if (require.main === module) runStandalone(run);
