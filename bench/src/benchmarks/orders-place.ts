/**
 * Order placement on PostgreSQL: POST /api/v1/orders with 5 lines, each a fresh idempotency key, priced from the
 * regional table, credit-checked (the buyer's account locked) and allocated with first-expiry-first-out
 * reservations. 120 first-tier dealers order, HQ placing for them; 200 SKUs are stocked at all 8 warehouses.
 * Beside it in the same run: bare Express 5 parsing the same JSON POSTs and answering a body of the same size.
 * Targets (the ordering issue): >= 500 orders/s sustained, p99 < 100 ms, no failed request.
 * Also where the CPU goes (steadier than the rate on a shared machine): the gateway's and PostgreSQL's per order (the
 * gateway's own sessions, found by application_name, and every postgres process), the bare server's per request, and
 * the WAL written per order.
 */
import { observed } from '../harness/compare';
import pg from 'pg';
import { commandCpuDuring, cpuDuring, processCpuSeconds } from '../harness/cpu';
import { startBareExpress } from '../harness/bare-express-server';
import { login, startGateway } from '../harness/gateway';
import { type LoadSummary, loadTest } from '../harness/load';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import { loadSettings } from '../harness/settings';
import type { BenchResult } from '../types';

const MIN_ORDERS_PER_SEC = 500;
const P99_LIMIT_MS = 100;
const LINES = 5;
const SKUS = 200;
// The bodies travel to the load worker in one environment variable (at most 128 KiB): 100 distinct mixes, cycled.
const BODIES = 100;

interface Prepared {
  bodies: string[];
  token: string;
  responseBytes: number;
}

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 400)}`);
  return text ? JSON.parse(text) : undefined;
}

/** A deterministic generator, so two runs send the same mix. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stock at every warehouse, credit for every dealer, and the order bodies (the key's `[<id>]` is filled per request). */
async function prepare(base: string): Promise<Prepared> {
  const token = await login(base);
  const dealers = (await api(base, token, 'GET', '/api/v1/dealers?tier=1&limit=500')).items as Array<{ id: string; region_code: string }>;
  const warehouses = (await api(base, token, 'GET', '/api/v1/warehouses?limit=50')).items as Array<{ code: string }>;
  const skus: Array<{ gtin: string; units_per_case: number; category: string }> = [];
  for (let offset = 0; skus.length < SKUS; offset += 500) {
    const page = (await api(base, token, 'GET', `/api/v1/skus?status=active&limit=500&offset=${offset}`)).items as typeof skus;
    if (page.length === 0) break;
    skus.push(...page.filter((s) => s.category !== 'cots' && s.category !== 'bags'));
  }
  skus.length = Math.min(skus.length, SKUS);
  const expiry = new Date(Date.now() + 700 * 86_400_000).toISOString().slice(0, 10);
  const movements = skus.flatMap((s) => warehouses.map((w) => ({ idempotency_key: `bench-${s.gtin}-${w.code}`, source: 'bench', reason: 'receipt', sku: s.gtin, batch: 'BENCH-1', expiry_date: expiry, location: w.code, on_hand: 5_000_000, occurred_at: new Date(Date.now() - 60_000).toISOString() })));
  for (let i = 0; i < movements.length; i += 1000) await api(base, token, 'POST', '/api/v1/stock/movements', { movements: movements.slice(i, i + 1000) });
  for (const d of dealers) await api(base, token, 'PUT', `/api/v1/credit/${d.id}`, { credit_limit: 10_000_000_000, reason: 'benchmark' });

  const rnd = random(2026);
  const bodies: string[] = [];
  for (let i = 0; i < BODIES; i++) {
    const d = dealers[Math.floor(rnd() * dealers.length)]!;
    const chosen = new Set<number>();
    while (chosen.size < LINES) chosen.add(Math.floor(rnd() * skus.length));
    const lines = [...chosen].map((k) => ({ gtin: skus[k]!.gtin, quantity: skus[k]!.units_per_case * (1 + Math.floor(rnd() * 3)) }));
    bodies.push(JSON.stringify({ idempotency_key: 'bench-[<id>]', buyer_id: d.id, delivery: { region_code: d.region_code, address: 'benchmark' }, lines }));
  }
  // One real order, to check the shape and size the baseline's answer.
  const probe = await fetch(`${base}/api/v1/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: bodies[0]!.replace('[<id>]', 'probe') });
  const text = await probe.text();
  const order = JSON.parse(text) as { state?: string; lines?: unknown[] };
  if (probe.status !== 201 || order.state !== 'allocated' || order.lines?.length !== LINES) throw new Error(`the probe order answered ${probe.status}: ${text.slice(0, 400)}`);
  return { bodies, token, responseBytes: Buffer.byteLength(text) };
}

/** CPU seconds of a process over a load run, charged per request: CPU seconds / wall seconds / rate (µs). */
const perRequestUs = (cpuSeconds: number, wallSeconds: number, load: LoadSummary) => (load.requestsPerSec > 0 ? (cpuSeconds / wallSeconds / load.requestsPerSec) * 1e6 : 0);

interface Measured {
  load: LoadSummary;
  base: LoadSummary;
  bytes: number;
  allocatedShare: number;
  peakRss: number | undefined;
  basePeakRss: number | undefined;
  /** µs of CPU per order: the gateway process, its PostgreSQL sessions, every PostgreSQL process on the machine; the bare server's per request. */
  gatewayUs: number;
  sessionsUs: number;
  postgresUs: number;
  walBytesPerOrder: number;
  baseUs: number;
}

async function measure(databaseUrl: string): Promise<Measured> {
  const settings = loadSettings();
  const schema = benchSchemaName();
  const gw = await startGateway({ databaseUrl, databaseSchema: schema, env: { PGAPPNAME: `bench-${schema}` }, nodeArgs: process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [] });
  const watcher = new pg.Client({ connectionString: databaseUrl });
  let prepared: Prepared;
  let load: LoadSummary;
  let allocatedShare: number;
  let peakRss: number | undefined;
  let gatewayUs: number;
  let sessionsUs: number;
  let postgresUs: number;
  let walBytesPerOrder: number;
  try {
    prepared = await prepare(gw.url);
    // The gateway's own PostgreSQL sessions (by application_name): other work on the machine's server is not counted.
    await watcher.connect();
    const backends = async () => (await watcher.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [`bench-${schema}`])).rows.map((r) => r.pid);
    const walLsn = async () => (await watcher.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
    const sessions0 = new Map((await backends()).map((pid) => [pid, processCpuSeconds(pid) ?? 0]));
    const lsn0 = await walLsn();
    const t0 = process.hrtime.bigint();
    const {
      result: { result, processSeconds },
      seconds,
    } = await commandCpuDuring(['postgres'], () =>
      cpuDuring(gw.pid, () =>
        loadTest({
          url: `${gw.url}/api/v1/orders`,
          method: 'POST',
          headers: { authorization: `Bearer ${prepared.token}`, 'content-type': 'application/json' },
          bodies: prepared.bodies,
          connections: settings.connections,
          durationSec: settings.durationSec,
          warmupSec: settings.warmupSec,
        }),
      ),
    );
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    let sessionsCpu = 0;
    for (const pid of await backends()) sessionsCpu += (processCpuSeconds(pid) ?? 0) - (sessions0.get(pid) ?? 0);
    const walBytes = Number((await watcher.query<{ b: string }>('select pg_wal_lsn_diff($1, $2)::text as b', [await walLsn(), lsn0])).rows[0]!.b);
    load = result;
    gatewayUs = perRequestUs(processSeconds, wall, load);
    sessionsUs = perRequestUs(sessionsCpu, wall, load);
    postgresUs = perRequestUs(seconds.get('postgres')!, wall, load);
    // Allocated first: requests still in flight when the load stops may commit between the two counts.
    const allocated = (await api(gw.url, prepared.token, 'GET', '/api/v1/orders?state=allocated&limit=1')).total as number;
    const all = (await api(gw.url, prepared.token, 'GET', '/api/v1/orders?limit=1')).total as number;
    allocatedShare = all > 0 ? allocated / all : 0;
    // Every order placed in the run (warm-up included, the probe not) wrote its share of the WAL.
    walBytesPerOrder = all > 1 ? walBytes / (all - 1) : 0;
    peakRss = gw.peakRssBytes();
  } finally {
    await watcher.end().catch(() => undefined);
    await gw.stop();
    if (process.env.BENCH_KEEP_SCHEMA) process.stderr.write(`orders-place: kept schema ${schema}\n`);
    else await dropSchema(databaseUrl, schema);
  }
  const bare = await startBareExpress(prepared.responseBytes);
  try {
    const t0 = process.hrtime.bigint();
    const { result: base, processSeconds } = await cpuDuring(bare.pid, () =>
      loadTest({
        url: `${bare.url}/payload`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        bodies: prepared.bodies,
        connections: settings.connections,
        durationSec: settings.durationSec,
        warmupSec: settings.warmupSec,
      }),
    );
    const baseUs = perRequestUs(processSeconds, Number(process.hrtime.bigint() - t0) / 1e9, base);
    return { load, base, bytes: prepared.responseBytes, allocatedShare, peakRss, basePeakRss: bare.peakRssBytes(), gatewayUs, sessionsUs, postgresUs, walBytesPerOrder, baseUs };
  } finally {
    await bare.stop();
  }
}

export default async function run(): Promise<BenchResult[]> {
  const pg = await choosePostgres();
  if (!pg.run) {
    process.stderr.write(`orders-place: skipping: the target is on PostgreSQL and ${pg.reason}\n`);
    return [];
  }
  const m = await measure(pg.url);
  const name = 'order placement [postgres] (5 lines, priced, credit-checked, FEFO reservations)';
  const baselineName = `bare Express 5, same JSON POSTs, ${m.bytes} B answer`;
  const failed = m.load.non2xx + m.load.errors;
  const throughputMet = m.load.requestsPerSec >= MIN_ORDERS_PER_SEC && failed === 0;
  const MiB = 1024 * 1024;
  const rows: BenchResult[] = [
    {
      name, metric: 'throughput', value: m.load.requestsPerSec, unit: 'orders/s',
      baseline: { name: baselineName, value: m.base.requestsPerSec }, ratio: m.base.requestsPerSec > 0 ? m.load.requestsPerSec / m.base.requestsPerSec : undefined,
      target: `>= ${MIN_ORDERS_PER_SEC} orders/s`, met: throughputMet,
    },
    {
      name, metric: 'p99 latency', value: m.load.latency.p99, unit: 'ms',
      baseline: { name: baselineName, value: m.base.latency.p99 }, ratio: m.base.latency.p99 > 0 ? m.load.latency.p99 / m.base.latency.p99 : undefined,
      target: `< ${P99_LIMIT_MS} ms`, met: m.load.latency.p99 < P99_LIMIT_MS,
    },
    observed({ name, metric: 'p50 latency', value: m.load.latency.p50, unit: 'ms', baseline: { name: baselineName, value: m.base.latency.p50 } }),
    { name, metric: 'failed requests', value: failed, unit: '', baseline: { name: baselineName, value: m.base.non2xx + m.base.errors }, target: '= 0', met: failed === 0 },
    observed({ name, metric: 'orders fully or partly allocated', value: m.allocatedShare * 100, unit: '%' }),
    // Where the CPU goes, per order: the two cores hold the gateway, PostgreSQL and the load generator, so the rate can
    // reach 500/s only when these add up to less than ~4 ms. "All processes" counts every postgres process on the machine
    // (the WAL writer, autovacuum, and anything else using the server meanwhile), "gateway sessions" the pool's own.
    observed({ name, metric: 'gateway CPU per order', value: m.gatewayUs, unit: 'µs', baseline: { name: 'bare Express 5, its CPU per request', value: m.baseUs } }),
    observed({ name, metric: 'PostgreSQL CPU per order, gateway sessions', value: m.sessionsUs, unit: 'µs' }),
    observed({ name, metric: 'PostgreSQL CPU per order, all processes', value: m.postgresUs, unit: 'µs' }),
    observed({ name, metric: 'WAL per order (all of PostgreSQL)', value: m.walBytesPerOrder, unit: 'bytes' }),
  ];
  if (m.peakRss !== undefined && m.basePeakRss !== undefined) rows.push(observed({ name, metric: 'peak RSS', value: m.peakRss / MiB, unit: 'MiB', baseline: { name: 'bare Express 5', value: m.basePeakRss / MiB } }));
  return rows;
}

if (require.main === module) runStandalone(run);
