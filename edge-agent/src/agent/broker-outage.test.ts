/**
 * Failure test: the broker stops for a while during 100 scans/s, then comes back. Every read arrives exactly once
 * after deduplication by id at the receiver, in the order the scanner read it, with seqs 1..N and no gap.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { EdgeAgent } from './agent';
import { ScannerSimulator } from '../simulators/scanner-simulator';
import { VirtualSerialPair } from '../simulators/virtual-serial';
import { EmbeddedBroker, Receiver, sleep, waitFor } from '../testing/brokers';
import { scannerConfig, testConfig } from '../testing/agent-config';

describe('edge agent when the broker goes away during 100 scans/s', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-outage-'));
  const pair = new VirtualSerialPair(path.join(dir, 'agent'), path.join(dir, 'device'));
  const broker = new EmbeddedBroker();
  let receiver: Receiver;
  let agent: EdgeAgent;
  let sim: ScannerSimulator;

  afterAll(async () => {
    sim?.close();
    await agent?.stop(1000);
    await receiver?.stop();
    await broker.close();
    await pair.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every read exactly once after dedup, in scanner order', async () => {
    await pair.start();
    await broker.start();
    const config = testConfig({
      mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 200 },
      outbox: { dir: path.join(dir, 'outbox'), replayPerSecond: 300 },
      scanners: [scannerConfig('conveyor', pair.agentEnd)],
    });
    receiver = new Receiver(`mqtt://127.0.0.1:${broker.port}`, `cradle/v1/${config.siteId}/#`);
    await receiver.start();
    agent = new EdgeAgent(config, { log: pino({ level: 'silent' }) });
    await agent.start();
    await waitFor('status online (scanner port open)', () => receiver.unique('status').some((m) => m.payload.state === 'online'));

    sim = new ScannerSimulator(pair.deviceEnd);
    const streaming = sim.stream({ readsPerSecond: 100, count: 500, mix: { noread: 0.03, garbage: 0.02 } });
    await waitFor('some reads delivered', () => receiver.unique('scan').length > 50);
    await broker.stop();
    const whileDown = receiver.all.length;
    await sleep(1500);
    const backlog = agent.outbox.depth;
    await broker.start();
    await streaming;

    const events = () => receiver.unique().filter((m) => !m.topic.endsWith('/status'));
    await waitFor('all 500 reads delivered', () => events().length >= 500, 40_000);
    await sleep(300); // let any late duplicate land, so "exactly once" is checked on everything delivered

    const got = events();
    expect(got).toHaveLength(500);
    expect(got.map((m) => m.payload.raw)).toEqual(sim.written);
    expect(got.map((m) => m.payload.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(new Set(got.map((m) => m.payload.id)).size).toBe(500);
    const rejects = got.filter((m) => m.topic.endsWith('/reject'));
    expect(rejects.every((m) => typeof m.payload.code === 'string')).toBe(true);
    // The outage really happened while reads were being made, and the outbox emptied afterwards.
    expect(backlog).toBeGreaterThan(0);
    expect(receiver.all.length).toBeGreaterThan(whileDown);
    expect(receiver.invalid()).toEqual([]);
    await waitFor('outbox empty', () => agent.outbox.depth === 0);
  }, 60_000);
});
