/**
 * Failure test: the steriliser's OPC-UA server restarts. The agent's subscription comes back by itself, readings
 * resume tagged with the batch, and the gap is visible in the readings themselves: one "bad" reading (no source time)
 * per item at the loss, between the last good reading before and the first good one after, by seq.
 * Also: an out-of-limit cycle (hold at 131 °C) is flagged. Broker: embedded aedes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '@cradle/protocol/src/testing/free-port';
import { STERILISER_NODES } from '../simulators/steriliser-nodes';
import { EmbeddedBroker, Receiver, waitFor } from '../testing/brokers';
import { testConfig } from '../testing/agent-config';
import { Lines, runTs, stopChild } from '../testing/processes';

describe('OPC-UA server restarted', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-opcua-'));
  const broker = new EmbeddedBroker();
  let sim: ChildProcess | undefined;
  let agent: ChildProcess | undefined;
  let receiver: Receiver | undefined;

  afterAll(async () => {
    if (agent) await stopChild(agent);
    if (sim) await stopChild(sim);
    await receiver?.stop();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gets its subscription back, with the gap visible in the readings', async () => {
    await broker.start();
    const port = await freePort();
    sim = runTs('simulators/steriliser-simulator.ts', ['--port', String(port), '--tick', '50', '--hold-ticks', '10', '--pki', path.join(os.tmpdir(), 'cradle-edge-test-pki')]);
    const simOut = new Lines(sim);
    const command = async (cmd: string, answer: RegExp) => {
      const before = simOut.count(answer);
      sim!.stdin!.write(`${cmd}\n`);
      await waitFor(`simulator: ${cmd}`, () => simOut.count(answer) > before, 30_000);
    };
    await waitFor('simulator started', () => simOut.count(/^started/) > 0, 30_000);
    const endpoint = `opc.tcp://127.0.0.1:${port}/UA/Steriliser`;
    const config = testConfig({
      mqtt: { url: `mqtt://127.0.0.1:${broker.port}` },
      outbox: { dir: path.join(dir, 'outbox') },
      opcua: [
        {
          id: 'retort1',
          endpoint,
          line: 'line2',
          gtin: '09506000134352',
          batchNodeId: STERILISER_NODES.batch,
          publishingIntervalMs: 50,
          reconnect: { initialMs: 200, maxMs: 1000 },
          items: [
            { nodeId: STERILISER_NODES.holdTime, name: 'hold_time', unit: 's', samplingIntervalMs: 50 },
            {
              nodeId: STERILISER_NODES.temperature,
              name: 'temperature',
              unit: 'Cel',
              samplingIntervalMs: 50,
              limits: { min: 135 },
              limitsWhile: { name: 'hold_time', above: 0 },
            },
          ],
        },
      ],
    });
    receiver = new Receiver(`mqtt://127.0.0.1:${broker.port}`, `cradle/v1/${config.siteId}/#`);
    await receiver.start();
    const configFile = path.join(dir, 'edge.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    agent = runTs('main.ts', ['--config', configFile]);
    const temps = () => receiver!.unique('reading').map((m) => m.payload).filter((p) => p.name === 'temperature');
    const statuses = () => receiver!.unique('status').map((m) => m.payload.state);

    await waitFor('good temperature readings with a batch', () => temps().filter((t) => t.quality === 'good' && t.batch).length >= 5, 45_000);
    expect(receiver.unique('production').some((m) => m.payload.kind === 'batch_started')).toBe(true);
    const beforeRestart = temps().length;

    await command('stop', /^stopped/);
    await waitFor('a bad reading marks the loss', () => temps().some((t) => t.quality === 'bad'));
    await waitFor('status degraded', () => statuses().includes('degraded'));
    await command('start', /^started/);
    await waitFor('readings resume', () => temps().slice(beforeRestart).filter((t) => t.quality === 'good').length >= 5, 30_000);
    await waitFor('status online again', () => statuses().lastIndexOf('online') > statuses().indexOf('degraded'));

    const t = temps();
    const bad = t.findIndex((r) => r.quality === 'bad');
    expect(bad).toBeGreaterThan(0);
    expect(t[bad]!.sourceTime).toBeUndefined();
    expect(t[bad - 1]!.quality).toBe('good');
    expect(t.slice(bad + 1).some((r) => r.quality === 'good')).toBe(true);
    expect((t[bad]!.seq as number) > (t[bad - 1]!.seq as number)).toBe(true);

    expect(receiver.invalid()).toEqual([]);
    // A cold hold is flagged; the heat-up ramp is not (limits only apply while hold_time > 0).
    await command('cold', /^cold/);
    await waitFor('an out-of-limit reading', () => temps().some((r) => r.outOfLimits === true && (r.value as number) < 135), 30_000);
    expect(temps().filter((r) => r.outOfLimits === true).every((r) => (r.value as number) < 135)).toBe(true);
  }, 80_000);
});
