/**
 * MQTT scan ingest into PostgreSQL through an external broker (Mosquitto, MQTT 5: a private instance of the machine's
 * binary, or BENCH_MQTT_URL): a line publishes N commissioning
 * scans (QoS 1) of issued codes; the gateway (child process) ingests them in batches, acknowledging after commit.
 * Measured: events/s from the first publish until the last event is committed. Baseline, same run: the raw QoS 1
 * rate of the same messages through the same broker to a bare subscriber that only counts them, taken before the
 * gateway starts and after it stops; the ratio is to their mean.
 * Targets: >= 10,000 events/s, and >= 50% of the raw rate. Both sides keep at most WINDOW messages ahead of their
 * consumer, because Mosquitto drops QoS 1 messages beyond a session's queue (max_queued_messages, default 1000).
 */
import crypto from 'node:crypto';
import { newSourceId, quietMqttLog } from '@cradle/protocol';
import mqtt from 'mqtt';
import { atLeastRatioOfBaseline, observed } from '../harness/compare';
import { commandCpuDuring, cpuDuring, processCpuSeconds } from '../harness/cpu';
import { type PrivateBroker, startPrivateMosquitto } from '../harness/mosquitto';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import type { BenchResult } from '../types';
import { bulkLoadCodes, startTraceGateway } from './trace-shared';

const EVENTS = Number(process.env.BENCH_TRACE_EVENTS ?? 50_000);
// The line stays at most WINDOW messages ahead of what the gateway has committed. The gateway acknowledges a batch
// a moment after its commit, so Mosquitto may hold up to WINDOW plus a batch or so unacknowledged: its receive maximum
// (4000) covers that with a batch to spare, and Mosquitto never queues beyond it (max_queued_messages, 1000).
const WINDOW = Number(process.env.BENCH_MQTT_WINDOW ?? 3000);
const RECEIVE_MAXIMUM = 4000;
const TARGET_EPS = 10_000;
// BENCH_TRACE_TABLE_CODES=n: the codes table holds n codes in all (the rest commissioned codes of another GTIN), as a
// brand's table of millions does; by default only the scanned ones.
const TABLE_CODES = Number(process.env.BENCH_TRACE_TABLE_CODES ?? EVENTS);
if (!Number.isInteger(TABLE_CODES) || TABLE_CODES < EVENTS) throw new RangeError(`BENCH_TRACE_TABLE_CODES must be an integer of at least ${EVENTS}, got ${process.env.BENCH_TRACE_TABLE_CODES}`);
const REPLICAS = Number(process.env.BENCH_TRACE_REPLICAS ?? 1);
if (!Number.isInteger(REPLICAS) || REPLICAS < 1 || REPLICAS > 4) throw new RangeError(`BENCH_TRACE_REPLICAS must be an integer within 1..4, got ${process.env.BENCH_TRACE_REPLICAS}`);

/** Publishes every payload with QoS 1, never more than WINDOW ahead of what `consumed()` reports. */
async function publishAll(url: string, topic: string, payloads: readonly Buffer[], consumed: () => Promise<number> | number): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `bench-line-${crypto.randomBytes(4).toString('hex')}`, protocolVersion: 5, ...quietMqttLog() });
  try {
    let sent = 0;
    let seen = 0;
    while (sent < payloads.length) {
      if (sent - seen >= WINDOW) {
        // Blocked: look again in a moment. Each look is a query, on the same two cores as what is measured; with a
        // window of several batches, 20 ms of lag never lets the gateway run dry.
        await new Promise((r) => setTimeout(r, 20));
        seen = await consumed();
        continue;
      }
      const upto = Math.min(payloads.length, seen + WINDOW);
      const batch: Promise<unknown>[] = [];
      for (; sent < upto; sent++) batch.push(client.publishAsync(topic, payloads[sent]!, { qos: 1 }));
      await Promise.all(batch);
      seen = await consumed();
    }
  } finally {
    await client.endAsync();
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** The line's messages, encoded before the clock starts (a device sends bytes it made earlier). */
function messages(siteCode: string, deviceCode: string, gtin: string, batch: string, serials: readonly string[]): Buffer[] {
  const t0 = Date.now();
  return serials.map((serial, i) =>
    Buffer.from(JSON.stringify({
      v: 1, id: newSourceId({ now: () => t0 + i }), siteId: siteCode, deviceId: deviceCode, seq: i + 1, ts: new Date(t0 + i).toISOString(),
      scannerId: 'SC1', raw: `]Q1https://id.cradle.example/01/${gtin}/10/${batch}/21/${serial}`, symbology: 'qr',
      parsed: { gtin, serial, batch, elements: { '01': gtin, '10': batch, '21': serial } },
    })),
  );
}

export default async function run(): Promise<BenchResult[]> {
  const choice = await choosePostgres();
  if (!choice.run) {
    process.stderr.write(`trace-ingest: skipped, it needs PostgreSQL: ${choice.reason}\n`);
    return [];
  }
  // A broker of the benchmark's own unless BENCH_MQTT_URL names one: the machine's Mosquitto may be carrying a test
  // suite's scans meanwhile, which the gateway's wildcard subscription would take in as well.
  let broker: PrivateBroker | undefined;
  if (!process.env.BENCH_MQTT_URL) broker = await startPrivateMosquitto();
  const MQTT_URL = process.env.BENCH_MQTT_URL ?? broker?.url ?? 'mqtt://127.0.0.1:1883';
  const probe = await mqtt.connectAsync(MQTT_URL, { reconnectPeriod: 0, connectTimeout: 2000 }).catch((e: Error) => e);
  if (probe instanceof Error) {
    process.stderr.write(`trace-ingest: skipped, no MQTT broker at ${MQTT_URL}: ${probe.message}\n`);
    await broker?.stop();
    return [];
  }
  await probe.endAsync();
  try {
    return await measure(choice.url, MQTT_URL, broker);
  } finally {
    await broker?.stop();
  }
}

/**
 * The baseline: the same number of messages, through the same broker, to a subscriber that only counts them
 * (auto-acknowledged QoS 1); messages/s.
 */
async function rawRate(MQTT_URL: string): Promise<number> {
  const baseTopic = `cradle/v1/BENCH/${crypto.randomBytes(4).toString('hex')}/scan`;
  let received = 0;
  const sub = await mqtt.connectAsync(MQTT_URL, { clientId: `bench-sub-${crypto.randomBytes(4).toString('hex')}`, protocolVersion: 5, properties: { receiveMaximum: WINDOW }, ...quietMqttLog() });
  sub.on('message', () => void (received += 1));
  await sub.subscribeAsync(baseTopic, { qos: 1 });
  const fake = Array.from({ length: EVENTS }, (_, i) => `S${String(i).padStart(10, '0')}`);
  const basePayloads = messages('BENCH', 'BASE', '06923456000018', 'B1', fake);
  const started = Date.now();
  await publishAll(MQTT_URL, baseTopic, basePayloads, () => received);
  const baseOk = await until(async () => received >= EVENTS, 120_000);
  const baseSeconds = (Date.now() - started) / 1000;
  await sub.endAsync();
  if (!baseOk) throw new Error(`baseline subscriber received ${received} of ${EVENTS}`);
  return EVENTS / baseSeconds;
}

async function measure(databaseUrl: string, MQTT_URL: string, broker: PrivateBroker | undefined): Promise<BenchResult[]> {
  // The baseline runs before the gateway starts and again after it has stopped (its wildcard subscription would take
  // the baseline's messages in too), and the ratio is taken to their mean: on a shared machine whose speed drifts
  // within a minute, one baseline taken before alone made the ratio swing with the drift.
  const rawBefore = await rawRate(MQTT_URL);
  const ingest = await ingestRun(databaseUrl, MQTT_URL, broker);
  const rawAfter = await rawRate(MQTT_URL);
  const baseline = {
    name: `raw QoS 1 publish → Mosquitto → counting subscriber (mean of ${Math.round(rawBefore).toLocaleString('en')} before and ${Math.round(rawAfter).toLocaleString('en')} msg/s after)`,
    value: (rawBefore + rawAfter) / 2,
  };
  return [{ ...atLeastRatioOfBaseline({ name: ingest.name, metric: 'throughput', value: ingest.rate, unit: 'events/s', baseline }, 0.5) }, ...ingest.results];
}

async function ingestRun(databaseUrl: string, MQTT_URL: string, broker: PrivateBroker | undefined): Promise<{ name: string; rate: number; results: BenchResult[] }> {
  const schema = benchSchemaName();
  const gw = await startTraceGateway(databaseUrl, schema, { MQTT_URL, INGEST_CLIENT_ID: `bench-${schema}`, INGEST_SHARE_GROUP: `bench-${schema}`, INGEST_RECEIVE_MAXIMUM: String(RECEIVE_MAXIMUM), PGAPPNAME: `bench-${schema}` });
  // BENCH_TRACE_REPLICAS=n: n gateway replicas on the schema, sharing the stream ($share/), as deployed to scale out;
  // on this machine they share its two cores. Their CPU is summed into the gateway's.
  const extra: Awaited<ReturnType<typeof startTraceGateway>>[] = [];
  for (let r = 1; r < REPLICAS; r++) extra.push(await startTraceGateway(databaseUrl, schema, { MQTT_URL, INGEST_CLIENT_ID: `bench-${schema}-${r}`, INGEST_SHARE_GROUP: `bench-${schema}`, INGEST_RECEIVE_MAXIMUM: String(RECEIVE_MAXIMUM), PGAPPNAME: `bench-${schema}` }));
  try {
    const [gtin, other] = (await gw.pool.query<{ gtin: string }>(`select gtin from skus where category = 'formula' order by gtin limit 2`)).rows.map((r) => r.gtin);
    if (!gtin || !other) throw new Error('the demo data has fewer than two formula SKUs');
    if (TABLE_CODES > EVENTS) await bulkLoadCodes(gw.pool, other, 'BENCHOLD', TABLE_CODES - EVENTS, 'commissioned');
    const batch = 'BENCHIN';
    const requestId = await bulkLoadCodes(gw.pool, gtin, batch, EVENTS, 'issued');
    const serials = (await gw.pool.query<{ serial: string }>('select serial from codes where request_id = $1', [requestId])).rows.map((r) => r.serial);
    const site = (await gw.pool.query<{ id: string }>(`select id from parties where code = 'F-01'`)).rows[0]!.id;
    const deviceCode = `BENCH-${crypto.randomBytes(3).toString('hex')}`;
    const dev = await gw.call('POST', '/api/v1/devices', { code: deviceCode, kind: 'edge-agent', name: 'bench line', site_id: site });
    if (dev.status !== 201) throw new Error(`device: ${dev.status}`);
    const payloads = messages('F-01', deviceCode, gtin, batch, serials);
    const ingested = async () => Number((await gw.pool.query<{ n: string }>('select received as n from device_streams where device_code = $1', [deviceCode])).rows[0]?.n ?? 0);
    const started = Date.now();
    // The gateway's CPU per event as well: steadier than the rate on a machine other work shares.
    // And where the rest of the CPU goes: PostgreSQL, the broker, this process (the publishing line); and the WAL.
    const walLsn = async () => (await gw.pool.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
    const lsn0 = await walLsn();
    const brokerCpu0 = broker ? (processCpuSeconds(broker.pid) ?? 0) : 0;
    // The gateway's own PostgreSQL sessions (by application_name): other work on the machine's server is not counted.
    const backends = async () => (await gw.pool.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [`bench-${schema}`])).rows.map((r) => r.pid);
    const backendCpu0 = new Map((await backends()).map((pid) => [pid, processCpuSeconds(pid) ?? 0]));
    const extraCpu0 = extra.map((x) => processCpuSeconds(x.pid) ?? 0);
    const own0 = process.cpuUsage();
    const {
      result: { result: ok, processSeconds: gatewayCpu },
      seconds: others,
    } = await commandCpuDuring(['postgres', 'mosquitto'], () =>
      cpuDuring(gw.pid, async () => {
        await publishAll(MQTT_URL, `cradle/v1/F-01/${deviceCode}/scan`, payloads, ingested);
        return until(async () => (await ingested()) >= EVENTS, 300_000);
      }),
    );
    const own = process.cpuUsage(own0);
    const extraCpu = extra.reduce((sum, x, i) => sum + (processCpuSeconds(x.pid) ?? 0) - extraCpu0[i]!, 0);
    let sessionsCpu = 0;
    for (const pid of await backends()) sessionsCpu += (processCpuSeconds(pid) ?? 0) - (backendCpu0.get(pid) ?? 0);
    const brokerCpu = broker ? (processCpuSeconds(broker.pid) ?? brokerCpu0) - brokerCpu0 : others.get('mosquitto')!;
    const walBytes = Number((await gw.pool.query<{ b: string }>('select pg_wal_lsn_diff($1, $2)::text as b', [await walLsn(), lsn0])).rows[0]!.b);
    const seconds = (Date.now() - started) / 1000;
    const done = await ingested();
    const commissioned = Number((await gw.pool.query<{ n: string }>(`select count(*) as n from codes where request_id = $1 and state = 'commissioned'`, [requestId])).rows[0]!.n);
    const rss = gw.peakRssBytes();
    const table = TABLE_CODES > EVENTS ? `, ${TABLE_CODES.toLocaleString('en')} codes in the table` : '';
    const name = `MQTT scan ingest [Mosquitto → ${REPLICAS > 1 ? `${REPLICAS} gateway replicas` : 'gateway'} → postgres, ${EVENTS.toLocaleString('en')} events${table}]`;
    const rate = done / seconds;
    const results: BenchResult[] = [
      { name, metric: 'throughput (absolute target)', value: rate, unit: 'events/s', target: `>= ${TARGET_EPS} events/s`, met: ok && rate >= TARGET_EPS },
      { name, metric: 'events committed and applied', value: commissioned, unit: '', target: `= ${EVENTS}`, met: commissioned === EVENTS },
    ];
    if (done > 0) {
      const perEvent = (seconds: number) => (seconds * 1e6) / done;
      results.push(observed({ name, metric: REPLICAS > 1 ? 'gateway CPU per event, all replicas' : 'gateway CPU per event', value: perEvent(gatewayCpu + extraCpu), unit: 'µs' }));
      results.push(observed({ name, metric: 'PostgreSQL CPU per event, gateway sessions', value: perEvent(sessionsCpu), unit: 'µs' }));
      results.push(observed({ name, metric: 'PostgreSQL CPU per event, all processes', value: perEvent(others.get('postgres')!), unit: 'µs' }));
      results.push(observed({ name, metric: 'Mosquitto CPU per event', value: perEvent(brokerCpu), unit: 'µs' }));
      results.push(observed({ name, metric: 'publisher (bench) CPU per event', value: perEvent((own.user + own.system) / 1e6), unit: 'µs' }));
      results.push(observed({ name, metric: 'WAL per event (all of PostgreSQL)', value: walBytes / done, unit: 'bytes' }));
    }
    if (rss !== undefined) results.push(observed({ name, metric: 'peak RSS', value: rss / (1024 * 1024), unit: 'MiB' }));
    return { name, rate, results };
  } finally {
    for (const x of extra) await x.stop().catch(() => undefined);
    await gw.stop().catch(() => undefined);
    if (process.env.BENCH_KEEP_SCHEMA) process.stderr.write(`trace-ingest: kept schema ${schema}\n`);
    else await dropSchema(databaseUrl, schema);
  }
}

if (require.main === module) runStandalone(run);
