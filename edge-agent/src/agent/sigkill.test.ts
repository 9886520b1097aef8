/**
 * Failure test: the agent process is killed with SIGKILL mid-stream (no chance to flush), then restarted.
 * Everything it had read before the kill (every seq it allocated) reaches the broker. To make the kill bite, the
 * broker (embedded aedes) is down for the last part of the stream, so hundreds of reads sit only on disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Outbox } from '../outbox/outbox';
import { ScannerSimulator } from '../simulators/scanner-simulator';
import { VirtualSerialPair } from '../simulators/virtual-serial';
import { EmbeddedBroker, Receiver, sleep, waitFor } from '../testing/brokers';

const MAIN = path.join(__dirname, '..', 'main.ts');

function startAgent(configFile: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

describe('edge agent killed with SIGKILL mid-stream', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-kill-'));
  const pair = new VirtualSerialPair(path.join(dir, 'agent'), path.join(dir, 'device'));
  const siteId = `kill${Math.random().toString(36).slice(2, 10)}`;
  const broker = new EmbeddedBroker();
  let receiver: Receiver;
  const children: ChildProcess[] = [];
  let sim: ScannerSimulator | undefined;

  afterAll(async () => {
    sim?.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await receiver?.stop();
    await broker.close();
    await pair.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing that was read before the kill', async () => {
    await pair.start();
    await broker.start();
    receiver = new Receiver(`mqtt://127.0.0.1:${broker.port}`, `cradle/v1/${siteId}/#`);
    await receiver.start();
    const outboxDir = path.join(dir, 'outbox');
    const configFile = path.join(dir, 'edge.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        siteId,
        deviceId: 'pc1',
        mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 200 },
        outbox: { dir: outboxDir, fsync: { mode: 'safe' } },
        http: { port: 0 },
        log: { level: 'warn' },
        scanners: [{ id: 'conveyor', port: pair.agentEnd, baudRate: 115200, terminator: 'CR', reconnect: { initialMs: 100, maxMs: 500 } }],
      }),
    );
    const first = startAgent(configFile);
    children.push(first);
    await waitFor('agent online', () => receiver.unique('status').some((m) => m.payload.state === 'online'), 30_000);

    sim = new ScannerSimulator(pair.deviceEnd);
    void sim.stream({ readsPerSecond: 100 });
    await waitFor('reads flowing', () => receiver.unique('scan').length >= 100);
    await broker.stop();
    await sleep(1000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    sim.stop();

    // What the agent had read = every seq it allocated, as its outbox on disk says.
    const box = Outbox.open({ dir: outboxDir, fsync: { mode: 'always' }, maxBytes: 1 << 30, overflow: 'reject-new' });
    const readBeforeKill = box.lastSequence;
    const onlyOnDisk = box.depth;
    box.close();
    expect(readBeforeKill).toBeGreaterThanOrEqual(100);
    expect(onlyOnDisk).toBeGreaterThan(0);
    const statusesBefore = receiver.unique('status').length;

    await broker.start();
    const second = startAgent(configFile);
    children.push(second);
    const seqs = () => new Set(receiver.unique().filter((m) => !m.topic.endsWith('/status')).map((m) => m.payload.seq as number));
    await waitFor('every seq read before the kill delivered', () => {
      const s = seqs();
      for (let q = 1; q <= readBeforeKill; q++) if (!s.has(q)) return false;
      return true;
    }, 30_000);

    await waitFor('restarted agent online', () => receiver.unique('status').slice(statusesBefore).some((m) => m.payload.state === 'online'), 30_000);
    expect(receiver.invalid()).toEqual([]);
    const events = receiver.unique().filter((m) => !m.topic.endsWith('/status'));
    const raws = events.filter((m) => (m.payload.seq as number) <= readBeforeKill).map((m) => m.payload.raw);
    // Each of them is one of the simulator's reads, in the order it wrote them.
    const order = raws.map((r) => sim!.written.indexOf(r as string));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    expect(new Set(events.map((m) => m.payload.seq)).size).toBe(events.length);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    expect(second.exitCode).toBe(0);
  }, 80_000);
});
