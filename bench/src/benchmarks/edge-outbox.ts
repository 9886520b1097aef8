/**
 * Edge outbox throughput: sustained reads/s from simulated scanner reads, through the read pipeline (filter,
 * protocol/ GS1 parse, dispatch context), the durable outbox (safe = fsync per record; batched = group commit)
 * and the QoS 1 publisher, to the machine's Mosquitto (127.0.0.1:1883), counted when the broker's PUBACK has
 * come back. Baseline: raw QoS 1 publishes of the same client, same broker, same in-flight window, same run.
 * Also the idle RSS of the agent process (one scanner on a socat port, no OPC-UA). Serial I/O itself is left out
 * of the throughput figures: a 115200-baud port carries ~300 reads/s, far below what is measured here.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { BenchResult } from '../types';
import { Outbox } from '../../../edge-agent/src/outbox/outbox';
import { OutboxPublisher } from '../../../edge-agent/src/outbox/publisher';
import { LineContexts } from '../../../edge-agent/src/scanner/line-context';
import { ReadFilter } from '../../../edge-agent/src/scanner/read-filter';
import { ReadHandler } from '../../../edge-agent/src/scanner/read-handler';
import { newSourceId, topicFor } from '../../../edge-agent/src/contract';
import { makeRead } from '../../../edge-agent/src/simulators/scanner-simulator';
import { VirtualSerialPair } from '../../../edge-agent/src/simulators/virtual-serial';

const BROKER = process.env.EDGE_BENCH_BROKER ?? 'mqtt://127.0.0.1:1883';
const INFLIGHT = 64;

async function connect(): Promise<MqttClient> {
  const client = mqtt.connect(BROKER, { clientId: `edge-bench-${process.pid}-${Date.now()}`, clean: true, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Raw QoS 1 publish rate with the same in-flight window the outbox publisher uses. */
async function rawRate(client: MqttClient, n: number, topic: string): Promise<number> {
  const payload = JSON.stringify({ v: 1, id: newSourceId(Date.now()), raw: makeRead('gs1-128', 1), pad: 'x'.repeat(120) });
  const t0 = process.hrtime.bigint();
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < n && sent - acked < INFLIGHT) {
        sent += 1;
        client.publish(topic, payload, { qos: 1 }, () => {
          acked += 1;
          if (acked === n) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Reads through pipeline + outbox + publisher; rate counted to the last PUBACK. */
async function outboxRate(client: MqttClient, n: number, fsync: 'safe' | 'batched'): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-bench-outbox-'));
  const box = Outbox.open({
    dir,
    fsync: fsync === 'safe' ? { mode: 'always' } : { mode: 'batched', intervalMs: 10, maxRecords: 256 },
    maxBytes: 1 << 30,
    overflow: 'reject-new',
  });
  const publisher = new OutboxPublisher(box, client, { inflight: INFLIGHT, replayPerSecond: 1e9 });
  const filter = new ReadFilter({ prefix: '', suffix: '', noRead: ['NOREAD'], repeatWindowMs: 500 });
  const handler = new ReadHandler({ orderPattern: '^ORD-[0-9]+$', closeCodes: ['CLOSE'] }, new LineContexts());
  const scanner = { id: 'bench', line: 'dock', role: 'item' as const };
  const siteId = `bench${process.pid}`;
  const t0 = process.hrtime.bigint();
  let made = 0;
  await new Promise<void>((resolve) => {
    const produce = () => {
      // Scanners keep reading while the broker keeps up; hold the producer at a bounded backlog like a real line.
      while (made < n && box.depth < 4 * INFLIGHT) {
        made += 1;
        const out = handler.handle(scanner, filter.classify(makeRead('gs1-128', made), Date.now()));
        if (out.channel === 'none') continue;
        box.append((seq, now) => ({
          topic: topicFor(siteId, 'pc1', out.channel),
          payload: JSON.stringify({ v: 1, id: newSourceId(now), deviceId: 'pc1', siteId, seq, ts: new Date(now).toISOString(), ...out.body }),
        }));
      }
      if (made >= n && box.depth === 0) return resolve();
      setImmediate(produce);
    };
    produce();
  });
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  publisher.stop();
  box.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return rate;
}

/** RSS of an idle agent process (one scanner on a virtual port, no OPC-UA), after it settled. */
async function idleAgentRss(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-bench-rss-'));
  const pair = new VirtualSerialPair(path.join(dir, 'agent'), path.join(dir, 'device'));
  await pair.start();
  const config = path.join(dir, 'edge.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      siteId: `bench${process.pid}`,
      deviceId: 'rss',
      mqtt: { url: BROKER },
      outbox: { dir: path.join(dir, 'outbox') },
      http: { port: 0 },
      log: { level: 'warn' },
      scanners: [{ id: 'idle', port: pair.agentEnd }],
    }),
  );
  const main = path.join(__dirname, '..', '..', '..', 'edge-agent', 'src', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--config', config], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 5000));
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await pair.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<BenchResult[]> {
  const client = await connect();
  const topic = `edge-bench/${process.pid}/raw`;
  try {
    await rawRate(client, 2000, topic); // warm-up
    const raw = await rawRate(client, 20_000, topic);
    const batched = await outboxRate(client, 20_000, 'batched');
    const safe = await outboxRate(client, 5_000, 'safe');
    const baseline = { name: 'raw MQTT QoS 1 publish, same client, in-flight 64', value: raw };
    const rss = await idleAgentRss();
    return [
      { name: 'raw MQTT QoS 1 publish (baseline)', metric: 'throughput', value: raw, unit: 'msg/s' },
      {
        name: 'edge outbox, batched fsync (10 ms / 256 records), to PUBACK',
        metric: 'throughput',
        value: batched,
        unit: 'reads/s',
        baseline,
        ratio: batched / raw,
        target: '>= 50% of baseline',
        met: batched / raw >= 0.5,
      },
      { name: 'edge outbox, safe fsync (per record), to PUBACK', metric: 'throughput', value: safe, unit: 'reads/s', baseline, ratio: safe / raw },
      { name: 'edge agent idle (1 scanner, no OPC-UA)', metric: 'peak RSS', value: rss, unit: 'MB', target: '< 80 MB', met: rss < 80 },
    ];
  } finally {
    await client.endAsync(true);
  }
}

if (require.main === module) {
  void run().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
