/**
 * Edge outbox throughput: sustained reads/s from simulated scanner reads, through the read pipeline (filter,
 * protocol/ GS1 parse, dispatch context), the durable outbox (safe = fsync per record; batched = group commit)
 * and the QoS 1 publisher, to the machine's Mosquitto (127.0.0.1:1883), counted when the broker's PUBACK has
 * come back. Baseline: raw QoS 1 publishes of the same client, same broker, same in-flight window, same run.
 * Also the idle RSS of the agent process (one scanner on a socat port, no OPC-UA): the built bundle (built first,
 * `edge-agent/scripts/build.js`, plain Node) run by its bin with the bin's Node flag, beside the same agent run from
 * sources through tsx (the baseline), and the bundle without the flag for comparison.
 * "Idle" is after the agent settled: RSS is sampled every 500 ms for 20 s and the figure is the highest sample of
 * the last 5 s. Both are also reported 5 s after start. Without the flag V8 keeps the young generation it grew while
 * loading modules until its memory reducer runs, which in most runs here it had not within 20 s (~88 MB).
 * Serial I/O itself is left out of the throughput figures: a 115200-baud port carries ~300 reads/s, far below what
 * is measured here.
 */
import { execFileSync, spawn } from 'node:child_process';
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
import { newSourceId, topicFor, upPayload } from '../../../edge-agent/src/contract';
import { makeRead } from '../../../edge-agent/src/simulators/scanner-simulator';
import { VirtualSerialPair } from '../../../edge-agent/src/simulators/virtual-serial';
import { runStandalone } from '../harness/report';

const BROKER = process.env.EDGE_BENCH_BROKER ?? 'mqtt://127.0.0.1:1883';
const INFLIGHT = 64;
/** The Node flag the agent's bin runs with (its shebang; see edge-agent/bin/cradle-edge.js). */
const SEMI_SPACE_FLAG = '--max-semi-space-size=1';

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
async function outboxRate(client: MqttClient, n: number, fsync: 'safe' | 'batched'): Promise<{ rate: number; perFsync: number }> {
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
  let commits = 0;
  box.on('durable', () => (commits += 1));
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
          payload: upPayload(siteId, 'pc1', seq, now, out.body), // the agent's own envelope (EdgeAgent.record)
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
  return { rate, perFsync: n / Math.max(1, commits) };
}

const EDGE = path.join(__dirname, '..', '..', '..', 'edge-agent');

/** Builds the agent bundle (edge-agent/dist/cradle-edge.js) from the current sources. */
function buildAgent(): string {
  execFileSync(process.execPath, [path.join(EDGE, 'scripts', 'build.js')], { stdio: 'ignore' });
  return path.join(EDGE, 'dist', 'cradle-edge.js');
}

/** RSS of an agent process (one scanner on a virtual port, no OPC-UA): 5 s after start, and idle once settled. */
async function idleAgentRss(nodeArgs: string[]): Promise<{ at5s: number; idle: number }> {
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
  const child = spawn(process.execPath, [...nodeArgs, '--config', config], { stdio: 'ignore' });
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  try {
    const samples: number[] = [];
    for (let t = 500; t <= 20_000; t += 500) {
      await new Promise((r) => setTimeout(r, 500));
      samples.push(rssMb());
    }
    return { at5s: samples[9]!, idle: Math.max(...samples.slice(-10)) };
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
    const batchedRun = await outboxRate(client, 20_000, 'batched');
    const batched = batchedRun.rate;
    const { rate: safe } = await outboxRate(client, 5_000, 'safe');
    const baseline = { name: 'raw MQTT QoS 1 publish, same client, in-flight 64', value: raw };
    buildAgent();
    // As deployed: the bin (which runs the bundle) with the Node flag its shebang carries; the baseline gets it too.
    const built = await idleAgentRss([SEMI_SPACE_FLAG, path.join(EDGE, 'bin', 'cradle-edge.js')]);
    const tsx = await idleAgentRss([SEMI_SPACE_FLAG, '--import', 'tsx', path.join(EDGE, 'src', 'main.ts')]);
    const unflagged = await idleAgentRss([path.join(EDGE, 'dist', 'cradle-edge.js')]);
    const tsxBaseline = { name: 'the same agent from sources through tsx, same run', value: tsx.idle };
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
      { name: 'edge outbox, batched fsync: records per group commit', metric: 'records per fsync', value: batchedRun.perFsync, unit: 'records' },
      { name: 'edge outbox, safe fsync (per record), to PUBACK', metric: 'throughput', value: safe, unit: 'reads/s', baseline, ratio: safe / raw },
      {
        name: 'edge agent idle RSS (built), 1 scanner, no OPC-UA',
        metric: 'idle RSS (settled, 15-20 s)',
        value: built.idle,
        unit: 'MB',
        baseline: tsxBaseline,
        ratio: built.idle / tsx.idle,
        target: '< 80 MB',
        met: built.idle < 80,
      },
      { name: 'edge agent idle RSS (tsx), 1 scanner, no OPC-UA', metric: 'idle RSS (settled, 15-20 s)', value: tsx.idle, unit: 'MB' },
      { name: 'edge agent RSS (built), 5 s after start', metric: 'RSS', value: built.at5s, unit: 'MB', target: '< 80 MB', met: built.at5s < 80 },
      { name: 'edge agent RSS (tsx), 5 s after start', metric: 'RSS', value: tsx.at5s, unit: 'MB' },
      { name: `edge agent idle RSS (built), without ${SEMI_SPACE_FLAG}`, metric: 'idle RSS (settled, 15-20 s)', value: unflagged.idle, unit: 'MB' },
    ];
  } finally {
    await client.endAsync(true);
  }
}

// Prints the table and the results line the runner (bench/src/run.ts) reads.
if (require.main === module) runStandalone(run);
