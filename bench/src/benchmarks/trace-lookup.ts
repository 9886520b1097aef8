/**
 * The consumer trace lookup (GET /01/{gtin}/10/{batch}/21/{serial}?linkType=gs1:traceability, JSON) and the EPCIS
 * query MATCH_anyEPC for one code, against PostgreSQL holding >= 1,000,000 issued codes, each beside a bare Express 5
 * route serving a body of the same size in the same run. Targets: lookup >= 5,000 req/s with p99 < 25 ms; EPCIS
 * query p99 < 25 ms. Each lookup also records the consumer's query (a write), as in production.
 * The load is spread over SAMPLE random cans of the million (each with a shipping event), cycled in turn by every
 * connection, so the gateway cannot answer from one hot row: autocannon runs in a child process of this file
 * (TRACE_LOOKUP_LOAD set), with a request list, as the harness's load worker does for a single URL.
 * Those cans stay in the gateway's per-code cache (10 s); a second run, reported without a target, asks for COLD
 * cans each once, so every request reads its can from PostgreSQL, as a day of first scans does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EPCIS_CONTEXT } from '@cradle/protocol';
import autocannon from 'autocannon';
import { startBareExpress } from '../harness/bare-express-server';
import { below, observed } from '../harness/compare';
import { cpuDuring } from '../harness/cpu';
import { loadTest, type LoadSummary } from '../harness/load';
import { LOAD_MARKER, summariseAutocannon } from '../harness/load-summary';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import { loadSettings } from '../harness/settings';
import type { BenchResult } from '../types';
import { bulkLoadCodes, startTraceGateway } from './trace-shared';

const CODES = Number(process.env.BENCH_TRACE_CODES ?? 1_000_000);
const LOOKUP_RPS_TARGET = 5000;
const P99_LIMIT_MS = 25;
const SAMPLE = Number(process.env.BENCH_TRACE_SAMPLE ?? 4000);
const COLD = Number(process.env.BENCH_TRACE_COLD ?? 150_000);
const LOAD_ENV = 'TRACE_LOOKUP_LOAD';

interface PathsLoad {
  base: string;
  paths: string[];
  headers?: Record<string, string>;
  connections: number;
  durationSec: number;
  warmupSec: number;
}

/** autocannon over `paths` in turn (child process: this file with TRACE_LOOKUP_LOAD set). */
function loadPaths(o: PathsLoad): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    // The options (thousands of paths) go through a file: an environment variable that large fails with E2BIG.
    const file = path.join(os.tmpdir(), `cradle-trace-load-${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(file, JSON.stringify(o));
    const child = spawn(process.execPath, ['--import', 'tsx', __filename], { env: { ...process.env, [LOAD_ENV]: file }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.warmupSec + o.durationSec + 60) * 1000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fs.rmSync(file, { force: true });
      const line = out.split('\n').find((l) => l.startsWith(LOAD_MARKER));
      if (code !== 0 || !line) reject(new Error(`load child exited ${code}: ${err}`));
      else resolve(JSON.parse(line.slice(LOAD_MARKER.length)) as LoadSummary);
    });
  });
}

async function loadChild(o: PathsLoad): Promise<void> {
  if (!['127.0.0.1', 'localhost'].includes(new URL(o.base).hostname)) throw new Error('loopback only');
  let n = 0;
  const fire = (duration: number) =>
    autocannon({
      url: o.base,
      headers: o.headers ?? {},
      connections: o.connections,
      duration,
      timeout: 10,
      requests: [{ method: 'GET', setupRequest: (req: autocannon.Request) => ({ ...req, path: o.paths[n++ % o.paths.length]! }) }],
    });
  if (o.warmupSec > 0) await fire(o.warmupSec);
  const r = await fire(o.durationSec);
  process.stdout.write(`${LOAD_MARKER}${JSON.stringify(summariseAutocannon(r))}\n`);
}

/** A load run with the CPU time (µs per request) of the server process. */
interface Measured {
  load: LoadSummary;
  serverUsPerRequest: number;
}

/** Runs `work` (a load run) and charges the CPU used meanwhile per request: CPU seconds / wall seconds / rate. */
async function withCpu(pid: number, work: () => Promise<LoadSummary>): Promise<Measured> {
  const t0 = process.hrtime.bigint();
  const { result, processSeconds } = await cpuDuring(pid, work);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { load: result, serverUsPerRequest: (processSeconds / wall / result.requestsPerSec) * 1e6 };
}

async function baseline(bytes: number): Promise<Measured> {
  const s = loadSettings();
  const bare = await startBareExpress(bytes);
  try {
    return await withCpu(bare.pid, () => loadTest({ url: `${bare.url}/payload`, connections: s.connections, durationSec: s.durationSec, warmupSec: s.warmupSec }));
  } finally {
    await bare.stop();
  }
}

export default async function run(): Promise<BenchResult[]> {
  const choice = await choosePostgres();
  if (!choice.run) {
    process.stderr.write(`trace-lookup: skipped, it needs PostgreSQL: ${choice.reason}\n`);
    return [];
  }
  const schema = benchSchemaName();
  const s = loadSettings();
  const gw = await startTraceGateway(choice.url, schema);
  try {
    const gtin = (await gw.pool.query<{ gtin: string }>(`select gtin from skus where category = 'formula' order by gtin limit 1`)).rows[0]!.gtin;
    const factory = (await gw.pool.query<{ id: string; gln: string }>(`select id, gln from parties where code = 'F-01'`)).rows[0]!;
    const batch = 'BENCH01';
    const started = Date.now();
    const requestId = await bulkLoadCodes(gw.pool, gtin, batch, CODES, 'commissioned');
    process.stderr.write(`trace-lookup: ${CODES} codes loaded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    // SAMPLE random cans, one of them the probe with a richer record; all shipped from the factory in one event.
    const sample = (await gw.pool.query<{ serial: string; epc: string }>(`select serial, epc from codes where request_id = $1 order by random() limit $2`, [requestId, SAMPLE])).rows;
    const probe = sample[0]!;
    await gw.call('POST', '/api/v1/batches', { gtin, code: batch, factoryId: factory.id, line: 'L1', productionDate: '2025-03-01' });
    const sgln = `urn:epc:id:sgln:${factory.gln.slice(0, 7)}.${factory.gln.slice(7, 12)}.0`;
    for (const [i, step] of ['commissioning', 'inspecting'].entries()) {
      const r = await gw.call('POST', '/epcis/events', { type: 'ObjectEvent', action: i === 0 ? 'OBSERVE' : 'OBSERVE', eventTime: `2025-03-0${i + 1}T08:00:00.000Z`, eventTimeZoneOffset: '+08:00', epcList: [probe.epc], bizStep: step, bizLocation: { id: sgln } });
      if (r.status !== 201) throw new Error(`event: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // Each sampled can shipped from the factory in an event of its own (one capture document).
    const shipping = sample.map((c, i) => ({ type: 'ObjectEvent', action: 'OBSERVE', eventTime: new Date(Date.UTC(2025, 2, 4, 8, 0, 0, i)).toISOString(), eventTimeZoneOffset: '+08:00', epcList: [c.epc], bizStep: 'shipping', bizLocation: { id: sgln } }));
    const cap = await gw.call('POST', '/epcis/capture', { '@context': [EPCIS_CONTEXT], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: new Date().toISOString(), epcisBody: { eventList: shipping } });
    if (cap.status !== 202) throw new Error(`shipping capture: ${cap.status} ${JSON.stringify(cap.body).slice(0, 300)}`);
    for (;;) {
      const job = await gw.call('GET', `/epcis/capture/${cap.body.captureID}`);
      if (!job.body.running) {
        if (!job.body.success) throw new Error(`shipping capture failed: ${JSON.stringify(job.body).slice(0, 300)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // What an operator runs after a bulk load: otherwise autovacuum takes up the million new rows during the first
    // measured phase, whichever it is.
    await gw.pool.query('vacuum analyze codes, code_requests, epcis_events, epcis_event_keys');
    const lookupPaths = sample.map((c) => `/01/${gtin}/10/${batch}/21/${c.serial}?linkType=gs1:traceability`);
    const lookupPath = lookupPaths[0]!;
    const first = await fetch(new URL(lookupPath, gw.url));
    const body = await first.text();
    if (first.status !== 200) throw new Error(`lookup answered ${first.status}: ${body.slice(0, 300)}`);
    // The EPCIS query first: each lookup records the consumer's query, and the diversion feed takes those up 20 s
    // later (its grace for a location), in this process; the later phases run beside that, this one does not.
    const queryPath = `/epcis/events?MATCH_anyEPC=${encodeURIComponent(probe.epc)}`;
    const q = await gw.call('GET', queryPath);
    if (q.status !== 200 || q.body.epcisBody.queryResults.resultsBody.eventList.length !== 3) throw new Error(`query answered ${q.status}`);
    const queryPaths = sample.map((c) => `/epcis/events?MATCH_anyEPC=${encodeURIComponent(c.epc)}`);
    const queryRun = await withCpu(gw.pid, () => loadPaths({ base: gw.url, paths: queryPaths, headers: { authorization: `Bearer ${gw.token}` }, connections: s.connections, durationSec: s.durationSec, warmupSec: s.warmupSec }));
    const query = queryRun.load;
    const queryBytes = Buffer.byteLength(JSON.stringify(q.body));
    const lookupRun = await withCpu(gw.pid, () => loadPaths({ base: gw.url, paths: lookupPaths, connections: s.connections, durationSec: s.durationSec, warmupSec: s.warmupSec }));
    const lookup = lookupRun.load;
    // The same lookup where every request is a can not asked for before in the run (so never in the gateway's
    // per-code cache): COLD distinct cans of the million, more than the run can ask for. Reported, no target.
    const cold = (await gw.pool.query<{ serial: string }>(`select serial from codes where request_id = $1 and not (serial = any($2::text[])) limit $3`, [requestId, sample.map((c) => c.serial), COLD])).rows;
    const coldRun = await withCpu(gw.pid, () => loadPaths({ base: gw.url, paths: cold.map((c) => `/01/${gtin}/10/${batch}/21/${c.serial}?linkType=gs1:traceability`), connections: s.connections, durationSec: s.durationSec, warmupSec: 0 }));
    const gwRss = gw.peakRssBytes();
    await gw.stop();

    const baseLookupRun = await baseline(Buffer.byteLength(body));
    const baseLookup = baseLookupRun.load;
    const baseQueryRun = await baseline(queryBytes);
    const baseQuery = baseQueryRun.load;
    const name = `trace lookup JSON [postgres, ${CODES.toLocaleString('en')} codes, ${sample.length.toLocaleString('en')} cycled]`;
    const bl = { name: `bare Express 5, ${Buffer.byteLength(body)} B JSON`, value: baseLookup.requestsPerSec };
    const coldName = `trace lookup JSON, every can new to the run [postgres, ${cold.length.toLocaleString('en')} cans in turn]`;
    const failed = lookup.non2xx + lookup.errors;
    const results: BenchResult[] = [
      { name, metric: 'throughput', value: lookup.requestsPerSec, unit: 'req/s', baseline: bl, ratio: lookup.requestsPerSec / baseLookup.requestsPerSec, target: `>= ${LOOKUP_RPS_TARGET} req/s`, met: failed === 0 && lookup.requestsPerSec >= LOOKUP_RPS_TARGET },
      below({ name, metric: 'p99 latency', value: lookup.latency.p99, unit: 'ms', baseline: { name: bl.name, value: baseLookup.latency.p99 } }, P99_LIMIT_MS),
      { name, metric: 'failed requests', value: failed, unit: '', target: '= 0', met: failed === 0 },
      // Where the time goes: CPU per answered request of the gateway process (all its threads) beside the bare
      // server's. Steadier than the rates on a busy machine, though contention for the cores inflates both.
      observed({ name, metric: 'gateway CPU per request', value: lookupRun.serverUsPerRequest, unit: 'µs', baseline: { name: `${bl.name}, its CPU per request`, value: baseLookupRun.serverUsPerRequest } }),
      observed({ name: coldName, metric: 'throughput', value: coldRun.load.requestsPerSec, unit: 'req/s', baseline: bl }),
      observed({ name: coldName, metric: 'p99 latency', value: coldRun.load.latency.p99, unit: 'ms', baseline: { name: bl.name, value: baseLookup.latency.p99 } }),
      { name: coldName, metric: 'failed requests', value: coldRun.load.non2xx + coldRun.load.errors, unit: '', target: '= 0', met: coldRun.load.non2xx + coldRun.load.errors === 0 },
      observed({ name: `EPCIS MATCH_anyEPC [postgres, ${sample.length.toLocaleString('en')} codes cycled]`, metric: 'throughput', value: query.requestsPerSec, unit: 'req/s', baseline: { name: `bare Express 5, ${queryBytes} B JSON`, value: baseQuery.requestsPerSec } }),
      below({ name: `EPCIS MATCH_anyEPC [postgres, ${sample.length.toLocaleString('en')} codes cycled]`, metric: 'p99 latency', value: query.latency.p99, unit: 'ms', baseline: { name: `bare Express 5, ${queryBytes} B JSON`, value: baseQuery.latency.p99 } }, P99_LIMIT_MS),
      observed({ name: `EPCIS MATCH_anyEPC [postgres, ${sample.length.toLocaleString('en')} codes cycled]`, metric: 'gateway CPU per request', value: queryRun.serverUsPerRequest, unit: 'µs', baseline: { name: `bare Express 5, ${queryBytes} B JSON, its CPU per request`, value: baseQueryRun.serverUsPerRequest } }),
    ];
    if (gwRss !== undefined) results.push(observed({ name, metric: 'peak RSS', value: gwRss / (1024 * 1024), unit: 'MiB' }));
    return results;
  } finally {
    await gw.stop().catch(() => undefined);
    await dropSchema(choice.url, schema);
  }
}

if (require.main === module) {
  const child = process.env[LOAD_ENV];
  if (child) {
    loadChild(JSON.parse(fs.readFileSync(child, 'utf8')) as PathsLoad).catch((e: unknown) => {
      process.stderr.write(`trace-lookup load: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    });
  } else runStandalone(run);
}
