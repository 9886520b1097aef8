/**
 * The consumer trace lookup (GET /01/{gtin}/10/{batch}/21/{serial}?linkType=gs1:traceability, JSON) and the EPCIS
 * query MATCH_anyEPC for one code, against PostgreSQL holding >= 1,000,000 issued codes, each beside a bare Express 5
 * route serving a body of the same size in the same run. Targets: lookup >= 5,000 req/s with p99 < 25 ms; EPCIS
 * query p99 < 25 ms. Each lookup also records the consumer's query (a write), as in production.
 * (The harness drives one URL: every request looks up the same can among the million.)
 */
import { startBareExpress } from '../harness/bare-express-server';
import { below, observed } from '../harness/compare';
import { loadTest, type LoadSummary } from '../harness/load';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import { loadSettings } from '../harness/settings';
import type { BenchResult } from '../types';
import { bulkLoadCodes, startTraceGateway } from './trace-shared';

const CODES = Number(process.env.BENCH_TRACE_CODES ?? 1_000_000);
const LOOKUP_RPS_TARGET = 5000;
const P99_LIMIT_MS = 25;

async function baseline(bytes: number): Promise<LoadSummary> {
  const s = loadSettings();
  const bare = await startBareExpress(bytes);
  try {
    return await loadTest({ url: `${bare.url}/payload`, connections: s.connections, durationSec: s.durationSec, warmupSec: s.warmupSec });
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
    const probe = (await gw.pool.query<{ serial: string; epc: string }>(`select serial, epc from codes where request_id = $1 order by epc offset $2 limit 1`, [requestId, Math.floor(CODES / 2)])).rows[0]!;
    // A realistic record: batch, commissioning and shipping events for the probed can.
    await gw.call('POST', '/api/v1/batches', { gtin, code: batch, factoryId: factory.id, line: 'L1', productionDate: '2025-03-01' });
    const sgln = `urn:epc:id:sgln:${factory.gln.slice(0, 7)}.${factory.gln.slice(7, 12)}.0`;
    for (const [i, step] of ['commissioning', 'inspecting'].entries()) {
      const r = await gw.call('POST', '/epcis/events', { type: 'ObjectEvent', action: i === 0 ? 'OBSERVE' : 'OBSERVE', eventTime: `2025-03-0${i + 1}T08:00:00.000Z`, eventTimeZoneOffset: '+08:00', epcList: [probe.epc], bizStep: step, bizLocation: { id: sgln } });
      if (r.status !== 201) throw new Error(`event: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const lookupPath = `/01/${gtin}/10/${batch}/21/${probe.serial}?linkType=gs1:traceability`;
    const first = await fetch(new URL(lookupPath, gw.url));
    const body = await first.text();
    if (first.status !== 200) throw new Error(`lookup answered ${first.status}: ${body.slice(0, 300)}`);
    const lookup = await loadTest({ url: new URL(lookupPath, gw.url).toString(), connections: s.connections, durationSec: s.durationSec, warmupSec: s.warmupSec });
    const queryPath = `/epcis/events?MATCH_anyEPC=${encodeURIComponent(probe.epc)}`;
    const q = await gw.call('GET', queryPath);
    if (q.status !== 200 || q.body.epcisBody.queryResults.resultsBody.eventList.length !== 2) throw new Error(`query answered ${q.status}`);
    const query = await loadTest({ url: new URL(queryPath, gw.url).toString(), headers: { authorization: `Bearer ${gw.token}` }, connections: s.connections, durationSec: s.durationSec, warmupSec: s.warmupSec });
    const queryBytes = Buffer.byteLength(JSON.stringify(q.body));
    const gwRss = gw.peakRssBytes();
    await gw.stop();

    const baseLookup = await baseline(Buffer.byteLength(body));
    const baseQuery = await baseline(queryBytes);
    const name = `trace lookup JSON [postgres, ${CODES.toLocaleString('en')} codes]`;
    const bl = { name: `bare Express 5, ${Buffer.byteLength(body)} B JSON`, value: baseLookup.requestsPerSec };
    const failed = lookup.non2xx + lookup.errors;
    const results: BenchResult[] = [
      { name, metric: 'throughput', value: lookup.requestsPerSec, unit: 'req/s', baseline: bl, ratio: lookup.requestsPerSec / baseLookup.requestsPerSec, target: `>= ${LOOKUP_RPS_TARGET} req/s`, met: failed === 0 && lookup.requestsPerSec >= LOOKUP_RPS_TARGET },
      below({ name, metric: 'p99 latency', value: lookup.latency.p99, unit: 'ms', baseline: { name: bl.name, value: baseLookup.latency.p99 } }, P99_LIMIT_MS),
      { name, metric: 'failed requests', value: failed, unit: '', target: '= 0', met: failed === 0 },
      observed({ name: `EPCIS MATCH_anyEPC [postgres]`, metric: 'throughput', value: query.requestsPerSec, unit: 'req/s', baseline: { name: `bare Express 5, ${queryBytes} B JSON`, value: baseQuery.requestsPerSec } }),
      below({ name: `EPCIS MATCH_anyEPC [postgres]`, metric: 'p99 latency', value: query.latency.p99, unit: 'ms', baseline: { name: `bare Express 5, ${queryBytes} B JSON`, value: baseQuery.latency.p99 } }, P99_LIMIT_MS),
    ];
    if (gwRss !== undefined) results.push(observed({ name, metric: 'peak RSS', value: gwRss / (1024 * 1024), unit: 'MiB' }));
    return results;
  } finally {
    await gw.stop().catch(() => undefined);
    await dropSchema(choice.url, schema);
  }
}

if (require.main === module) runStandalone(run);
