/**
 * Failure test: the scanner's port disappears (socat stopped, as a USB scanner unplugged) and comes back. The agent
 * says "degraded" naming the scanner in its retained status, reconnects by itself, says "online", and reads again.
 * Broker: the machine's Mosquitto on 127.0.0.1:1883, with a site id of this test's own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { EdgeAgent } from '../agent/agent';
import { makeRead, ScannerSimulator } from '../simulators/scanner-simulator';
import { VirtualSerialPair } from '../simulators/virtual-serial';
import { Receiver, sleep, waitFor } from '../testing/brokers';
import { scannerConfig, testConfig } from '../testing/agent-config';

describe('scanner port removed and re-created', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-port-'));
  const pair = new VirtualSerialPair(path.join(dir, 'agent'), path.join(dir, 'device'));
  let agent: EdgeAgent | undefined;
  let receiver: Receiver | undefined;
  let sim: ScannerSimulator | undefined;

  afterAll(async () => {
    sim?.close();
    await agent?.stop(1000);
    await receiver?.stop();
    await pair.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects and says so in its status', async () => {
    await pair.start();
    const config = testConfig({
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      outbox: { dir: path.join(dir, 'outbox') },
      scanners: [scannerConfig('dock1', pair.agentEnd)],
    });
    receiver = new Receiver('mqtt://127.0.0.1:1883', `cradle/v1/${config.siteId}/#`);
    await receiver.start();
    agent = new EdgeAgent(config, { log: pino({ level: 'silent' }) });
    await agent.start();
    const statuses = () => receiver!.unique('status').map((m) => m.payload);
    await waitFor('online', () => statuses().some((s) => s.state === 'online'));

    await pair.stop();
    await waitFor('degraded naming the scanner', () =>
      statuses().some((s) => s.state === 'degraded' && (s.detail as { down: string[] }).down.includes('dock1')),
    );
    const degradedAt = statuses().findIndex((s) => s.state === 'degraded');

    await pair.start();
    await waitFor('online again', () => statuses().slice(degradedAt).some((s) => s.state === 'online'), 20_000);

    // The device end stays open until the read is delivered (closing it hangs up socat's link). A read written the
    // very moment the agent reports the port open was lost about one run in four (also with the device end opened
    // earlier); 300 ms later, never in 6 runs. Not explained yet (the pty pair's or serialport's set-up after an
    // open?): the scan waits as long as a person takes to scan after plugging a scanner in; docs/edge-agent.md notes it.
    sim = new ScannerSimulator(pair.deviceEnd);
    await sleep(300);
    sim.write(makeRead('gs1-128', 42));
    await waitFor('read after reconnect delivered', () => receiver!.unique('scan').some((m) => m.payload.raw === makeRead('gs1-128', 42)));
    sim.close();
    const metrics = await agent.metrics.registry.getSingleMetricAsString('edge_scanner_connected');
    expect(metrics).toContain('edge_scanner_connected{scanner="dock1"} 1');
  }, 40_000);
});
