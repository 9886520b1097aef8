/**
 * Diversion alert latency through the whole path: a store's edge agent publishes a receiving scan (MQTT QoS 1,
 * Mosquitto) of a can shipped to dealer A, in a store outside A's authorised region; the gateway (child process,
 * PostgreSQL) ingests it, the diversion-feed job (200 ms polls of the trace core's feed) judges it, and the alert
 * becomes queryable at `GET /api/v1/alerts`. Measured per scan: publish → alert visible over HTTP, p50/p99 over
 * BENCH_DIVERSION_SCANS diverted scans (each of its own batch, so each raises its own alert), taken one at a time.
 * Baseline, same scans, same run: publish → the event visible at `GET /epcis/events` (ingest alone).
 * Background: a store inside A's region publishes receiving scans of other cans at BENCH_DIVERSION_BG_RATE per second
 * throughout (each is judged too: verdict "inside"); the rate reached is reported (ingested scans / s).
 * Target: p99 < 1 s.
 */
import crypto from 'node:crypto';
import { newSourceId } from '@cradle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { below, observed, percentile } from '../harness/compare';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import type { BenchResult } from '../types';
import { findDiversionStores } from '../../../gateway/src/trace/diversion-fixtures';
import { bulkLoadCodes, startTraceGateway, type TraceGateway } from './trace-shared';

const SCANS = Number(process.env.BENCH_DIVERSION_SCANS ?? 50);
const BG_RATE = Number(process.env.BENCH_DIVERSION_BG_RATE ?? 5000);
const MQTT_URL = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
/** Published but not yet ingested background messages, at most (Mosquitto drops QoS 1 beyond its session queue). */
const WINDOW = 800;
const WARMUP_MS = 5000;
/** A diverted scan without its alert this long counts as missed; after 3 misses in a row the run stops (judging fell behind). */
const SCAN_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function scanMessage(siteCode: string, deviceCode: string, seq: number, gtin: string, batch: string, serial: string): string {
  const link = `https://id.cradle.example/01/${gtin}/10/${batch}/21/${serial}`;
  return JSON.stringify({
    v: 1, id: newSourceId(), siteId: siteCode, deviceId: deviceCode, seq, ts: new Date().toISOString(),
    scannerId: 'SC1', raw: `]Q1${link}`, symbology: 'qr', digitalLink: link,
    parsed: { gtin, serial, batch, elements: { '01': gtin, '10': batch, '21': serial } },
  });
}

/** Cans shipped to a dealer on an order, as the trace core holds them after the warehouse scanned the case out. */
async function shippedCans(gw: TraceGateway, gtin: string, batch: string, n: number, dealerId: string, orderId: string): Promise<string[]> {
  const requestId = await bulkLoadCodes(gw.pool, gtin, batch, n, 'commissioned');
  const r = await gw.pool.query<{ serial: string }>(
    `update codes set state = 'shipped', shipped_to = $2, order_id = $3, last_event_at = now() where request_id = $1 returning serial`,
    [requestId, dealerId, orderId],
  );
  return r.rows.map((row) => row.serial);
}

async function device(gw: TraceGateway, siteId: string, name: string): Promise<string> {
  const code = `BENCH-${name}-${crypto.randomBytes(3).toString('hex')}`;
  const r = await gw.call('POST', '/api/v1/devices', { code, kind: 'edge-agent', name: `bench ${name}`, site_id: siteId });
  if (r.status !== 201) throw new Error(`device: ${r.status} ${JSON.stringify(r.body)}`);
  return code;
}

/** Polls `check` every few ms until it holds; resolves with the time it first held (ms, performance.now()). */
async function firstTrue(check: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return performance.now();
    await sleep(5);
  }
  return undefined;
}

export default async function run(): Promise<BenchResult[]> {
  const choice = await choosePostgres();
  if (!choice.run) {
    process.stderr.write(`diversion-latency: skipped, it needs PostgreSQL: ${choice.reason}\n`);
    return [];
  }
  const probe = await mqtt.connectAsync(MQTT_URL, { reconnectPeriod: 0, connectTimeout: 2000 }).catch((e: Error) => e);
  if (probe instanceof Error) {
    process.stderr.write(`diversion-latency: skipped, no MQTT broker at ${MQTT_URL}: ${probe.message}\n`);
    return [];
  }
  await probe.endAsync();

  const schema = benchSchemaName();
  const gw = await startTraceGateway(choice.url, schema, { MQTT_URL, INGEST_CLIENT_ID: `bench-${schema}`, INGEST_SHARE_GROUP: `bench-${schema}` });
  let bgClient: MqttClient | undefined;
  let client: MqttClient | undefined;
  let stopBg = false;
  let bgLoop: Promise<void> | undefined;
  try {
    const gtin = (await gw.pool.query<{ gtin: string }>(`select gtin from skus where category = 'formula' order by gtin limit 1`)).rows[0]!.gtin;
    // Dealer A: a first-tier dealer with a store inside its authorised region and a store in another dealer's region.
    const { dealerId: dealerA, inside, outside } = await findDiversionStores(async (text) => (await gw.pool.query(text)).rows);
    const order = 'ORD-BENCH-DIV';
    await gw.pool.query(`insert into dispatch_bindings (order_id, destination_id, created_by) values ($1, $2, 'bench')`, [order, dealerA]);

    // Background cans are scanned in turn, again from the first when all were (a store re-scanning its stock).
    const bgCount = Math.max(1, Math.min(100_000, Math.ceil(BG_RATE * 60)));
    // One bulk load (serials are unique within one): the first SCANS cans are the diverted ones, each of its own batch.
    const all = await shippedCans(gw, gtin, 'BENCHBG', bgCount + SCANS, dealerA, order);
    const bgSerials = all.slice(SCANS);
    const diverted: { batch: string; serial: string }[] = [];
    for (let i = 0; i < SCANS; i++) {
      const batch = `BENCHDV${String(i).padStart(3, '0')}`;
      await gw.pool.query('update codes set batch_code = $1 where gtin = $2 and serial = $3', [batch, gtin, all[i]]);
      diverted.push({ batch, serial: all[i]! });
    }
    const bgDevice = await device(gw, inside.id, 'IN');
    const divDevice = await device(gw, outside.id, 'OUT');
    const ingestedBg = async () => Number((await gw.pool.query<{ n: string }>('select received as n from device_streams where device_code = $1', [bgDevice])).rows[0]?.n ?? 0);

    // Background: paced publishing at BG_RATE, never more than WINDOW ahead of the ingest.
    bgClient = await mqtt.connectAsync(MQTT_URL, { clientId: `bench-bg-${crypto.randomBytes(4).toString('hex')}`, protocolVersion: 5 });
    const bgTopic = `cradle/v1/${inside.code}/${bgDevice}/scan`;
    let sent = 0;
    let acked = 0;
    let ingestedSeen = 0;
    const bgStart = performance.now();
    bgLoop = (async () => {
      let lastCheck = 0;
      while (!stopBg) {
        const due = Math.floor(((performance.now() - bgStart) / 1000) * BG_RATE);
        if (performance.now() - lastCheck > 50) {
          ingestedSeen = await ingestedBg();
          lastCheck = performance.now();
        }
        const room = Math.max(0, ingestedSeen + WINDOW - sent);
        const n = Math.min(due - sent, room);
        for (let i = 0; i < n; i++) {
          sent += 1;
          void bgClient!.publishAsync(bgTopic, scanMessage(inside.code, bgDevice, sent, gtin, 'BENCHBG', bgSerials[(sent - 1) % bgSerials.length]!), { qos: 1 }).then(() => void (acked += 1));
        }
        await sleep(5);
      }
    })();
    await sleep(WARMUP_MS);
    const measureFrom = { t: performance.now(), ingested: await ingestedBg() };

    client = await mqtt.connectAsync(MQTT_URL, { clientId: `bench-div-${crypto.randomBytes(4).toString('hex')}`, protocolVersion: 5 });
    const alertLatencies: number[] = [];
    const ingestLatencies: number[] = [];
    let missed = 0;
    let missedInARow = 0;
    for (let i = 0; i < SCANS; i++) {
      const d = diverted[i]!;
      const epc = `urn:epc:id:sgtin:${gtin.slice(1, 8)}.${gtin[0]}${gtin.slice(8, 13)}.${d.serial}`;
      const t0 = performance.now();
      await client.publishAsync(`cradle/v1/${outside.code}/${divDevice}/scan`, scanMessage(outside.code, divDevice, i + 1, gtin, d.batch, d.serial), { qos: 1 });
      const [ingested, alerted] = await Promise.all([
        firstTrue(async () => {
          const r = await gw.call('GET', `/epcis/events?MATCH_epc=${encodeURIComponent(epc)}&EQ_bizStep=receiving`);
          return r.status === 200 && Array.isArray(r.body?.epcisBody?.queryResults?.resultsBody?.eventList) && r.body.epcisBody.queryResults.resultsBody.eventList.length > 0;
        }, SCAN_TIMEOUT_MS),
        firstTrue(async () => {
          const r = await gw.call('GET', `/api/v1/alerts?kind=diversion&batch=${d.batch}`);
          return r.status === 200 && r.body.items.length > 0;
        }, SCAN_TIMEOUT_MS),
      ]);
      if (ingested === undefined || alerted === undefined) {
        missed += 1;
        missedInARow += 1;
      } else missedInARow = 0;
      if (missedInARow >= 3) {
        missed += SCANS - i - 1;
        break;
      }
      if (ingested !== undefined) ingestLatencies.push(ingested - t0);
      if (alerted !== undefined) alertLatencies.push(alerted - t0);
      // Scans arrive at random moments with respect to the feed's 200 ms polls.
      await sleep(100 + Math.random() * 200);
    }
    const measureTo = { t: performance.now(), ingested: await ingestedBg() };
    stopBg = true;
    await bgLoop;
    const bgRate = (measureTo.ingested - measureFrom.ingested) / ((measureTo.t - measureFrom.t) / 1000);
    const backlog = sent - measureTo.ingested;
    // Events stored but not yet judged by the feed job (its cursor's event pk behind the newest event).
    const lag = await gw.pool.query<{ n: string }>(
      `select count(*) as n from epcis_events where pk > coalesce((select split_part(position, ':', 1)::bigint from diversion_feed_cursors where name = 'trace-events'), 0)`,
    );
    const feedLag = Number(lag.rows[0]!.n);

    const name = `diverted store scan → alert [Mosquitto → gateway → postgres, ${SCANS} scans, background ${Math.round(bgRate)} scans/s of ${BG_RATE} asked]`;
    const baseName = 'same scans: publish → event visible at GET /epcis/events (ingest alone)';
    const p = (s: number[], q: number) => percentile(s, q) ?? Number.NaN;
    const results: BenchResult[] = [
      observed({ name, metric: 'p50 latency', value: p(alertLatencies, 50), unit: 'ms', baseline: { name: baseName, value: p(ingestLatencies, 50) } }),
      below({ name, metric: 'p99 latency', value: p(alertLatencies, 99), unit: 'ms', baseline: { name: baseName, value: p(ingestLatencies, 99) } }, 1000),
      observed({ name, metric: 'background scans ingested and judged', value: bgRate, unit: 'scans/s' }),
      observed({ name, metric: 'background backlog at the end (published, not ingested)', value: backlog, unit: 'messages' }),
      observed({ name, metric: 'feed backlog at the end (stored, not yet judged)', value: feedLag, unit: 'events' }),
      { name, metric: `diverted scans without an alert within ${SCAN_TIMEOUT_MS / 1000} s`, value: missed, unit: '', target: '= 0', met: missed === 0 },
    ];
    return results;
  } finally {
    stopBg = true;
    await bgLoop?.catch(() => undefined);
    await client?.endAsync().catch(() => undefined);
    await bgClient?.endAsync().catch(() => undefined);
    await gw.stop().catch(() => undefined);
    await dropSchema(choice.url, schema);
  }
}

if (require.main === module) runStandalone(run);
