/**
 * Failure test: the broker stops for a while during 100 scans/s, then comes back. Every read arrives exactly once
 * after deduplication by id at the receiver, and the agent sends them in the order the scanner read them, with seqs
 * 1..N and no gap.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { EdgeAgent } from './agent';
import { ScannerSimulator } from '../simulators/scanner-simulator';
import { VirtualSerialPair } from '../simulators/virtual-serial';
import { EmbeddedBroker, type Received, Receiver, sleep, waitFor } from '../testing/brokers';
import { scannerConfig, testConfig } from '../testing/agent-config';

describe('edge agent when the broker goes away during 100 scans/s', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-outage-'));
  const pair = new VirtualSerialPair(path.join(dir, 'agent'), path.join(dir, 'device'));
  const broker = new EmbeddedBroker();
  let receiver: Receiver;
  let agent: EdgeAgent;
  let sim: ScannerSimulator;
  let firstFromAgent: () => Received[] = () => [];

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
    // What the agent put on the wire, in the order the broker took it: the agent's own ordering guarantee. (The
    // receiver's arrival order is the broker's: after an outage aedes redelivers a persistent session's backlog while
    // it forwards new messages, so a lagging receiver may see the two interleaved.)
    const fromAgent: Received[] = [];
    broker.aedes.on('publish', (packet, client) => {
      if (client && packet.topic.startsWith(`cradle/v1/${config.siteId}/`) && !packet.topic.endsWith('/status')) {
        fromAgent.push({ topic: packet.topic, payload: JSON.parse(packet.payload.toString()) as Record<string, unknown> });
      }
    });
    firstFromAgent = () => {
      const seen = new Set<unknown>();
      return fromAgent.filter((m) => !seen.has(m.payload.id) && seen.add(m.payload.id));
    };
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
    expect(new Set(got.map((m) => m.payload.id)).size).toBe(500);
    // Every read reached the receiver exactly once after dedup ...
    expect(got.map((m) => m.payload.raw as string).sort()).toEqual([...sim.written].sort());
    // ... and the agent sent them in scanner order, seqs 1..N with no gap.
    const sent = firstFromAgent();
    expect(sent.map((m) => m.payload.raw)).toEqual(sim.written);
    expect(sent.map((m) => m.payload.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const rejects = got.filter((m) => m.topic.endsWith('/reject'));
    expect(rejects.every((m) => typeof m.payload.code === 'string')).toBe(true);
    // The outage really happened while reads were being made, and the outbox emptied afterwards.
    expect(backlog).toBeGreaterThan(0);
    expect(receiver.all.length).toBeGreaterThan(whileDown);
    expect(receiver.invalid()).toEqual([]);
    await waitFor('outbox empty', () => agent.outbox.depth === 0);
  }, 60_000);
});
