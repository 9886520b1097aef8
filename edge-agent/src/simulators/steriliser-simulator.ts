/**
 * Steriliser simulator: a real OPC-UA server (node-opcua) exposing one retort's cycle per batch: temperature (°C)
 * climbs to the hold temperature, holds while the hold-time counter runs, then cools; pressure (bar) follows the
 * temperature; the batch id changes at the start of each cycle. `outOfLimits = true` makes the next holds run
 * cold (131 °C instead of 137 °C), as a failing steam valve would. Time is compressed: one tick = `tickMs`.
 *
 * Run alone: `node --import tsx edge-agent/src/simulators/steriliser-simulator.ts [port]`
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { STERILISER_NODES } from './steriliser-nodes';
import { DataType, OPCUACertificateManager, OPCUAServer, StatusCodes, Variant, type UAVariable } from 'node-opcua';

export interface SteriliserOptions {
  port: number;
  tickMs?: number | undefined;
  /** Ticks spent holding in each cycle. */
  holdTicks?: number | undefined;
  outOfLimits?: boolean | undefined;
  pkiDir?: string | undefined;
  /** When set, only this user may connect (otherwise anonymous). */
  user?: { userName: string; password: string } | undefined;
}

export { STERILISER_NODES };

type Phase = 'heat' | 'hold' | 'cool';

export class SteriliserSimulator {
  outOfLimits: boolean;
  private server: OPCUAServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private vars: Record<keyof typeof STERILISER_NODES, UAVariable> | undefined;
  private temperature = 25;
  private holdTicks = 0;
  private phase: Phase = 'heat';
  private cycle = 0;
  private batch = '';

  constructor(private readonly opts: SteriliserOptions) {
    this.outOfLimits = opts.outOfLimits ?? false;
  }

  get endpoint(): string {
    return `opc.tcp://127.0.0.1:${this.opts.port}/UA/Steriliser`;
  }

  get currentBatch(): string {
    return this.batch;
  }

  async start(): Promise<void> {
    const pki = this.opts.pkiDir ?? path.join(os.tmpdir(), 'cradle-steriliser-pki');
    const user = this.opts.user;
    const server = new OPCUAServer({
      port: this.opts.port,
      hostname: '127.0.0.1',
      resourcePath: '/UA/Steriliser',
      buildInfo: { productName: 'Cradle steriliser simulator', buildNumber: '1', manufacturerName: 'Cradle' },
      serverCertificateManager: new OPCUACertificateManager({ rootFolder: path.join(pki, 'server'), automaticallyAcceptUnknownCertificate: true }),
      allowAnonymous: !user,
      ...(user ? { userManager: { isValidUser: (u: string, p: string) => u === user.userName && p === user.password } } : {}),
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace!;
    const ns = addressSpace.getOwnNamespace();
    const retort = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Retort1' });
    const v = (key: keyof typeof STERILISER_NODES, browseName: string, dataType: DataType, value: unknown) => {
      const uv = ns.addVariable({ componentOf: retort, nodeId: STERILISER_NODES[key], browseName, dataType });
      uv.setValueFromSource(new Variant({ dataType, value }), StatusCodes.Good);
      return uv;
    };
    this.vars = {
      temperature: v('temperature', 'Temperature', DataType.Double, this.temperature),
      pressure: v('pressure', 'Pressure', DataType.Double, 1.0),
      holdTime: v('holdTime', 'HoldTime', DataType.Double, 0),
      batch: v('batch', 'Batch', DataType.String, ''),
    };
    await server.start();
    this.server = server;
    if (!this.batch) this.newCycle();
    else this.publish();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 100);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const s = this.server;
    this.server = undefined;
    this.vars = undefined;
    if (s) await s.shutdown(0);
  }

  private newCycle(): void {
    this.cycle += 1;
    this.batch = `B${String(this.cycle).padStart(4, '0')}`;
    this.phase = 'heat';
    this.holdTicks = 0;
    this.publish();
  }

  private tick(): void {
    const hold = this.outOfLimits ? 131 : 137;
    if (this.phase === 'heat') {
      this.temperature = Math.min(hold, this.temperature + 12);
      if (this.temperature >= hold) this.phase = 'hold';
    } else if (this.phase === 'hold') {
      this.temperature = hold + (this.holdTicks % 3) * 0.2 - 0.2;
      this.holdTicks += 1;
      if (this.holdTicks >= (this.opts.holdTicks ?? 20)) this.phase = 'cool';
    } else {
      this.temperature = Math.max(25, this.temperature - 20);
      if (this.temperature <= 25) this.newCycle();
    }
    this.publish();
  }

  private publish(): void {
    const vars = this.vars;
    if (!vars) return;
    const d = (uv: UAVariable, value: number) => uv.setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good);
    d(vars.temperature, Math.round(this.temperature * 10) / 10);
    // Saturated steam: about 3.3 bar absolute at 137 °C; a crude linear fit is enough for a simulator.
    d(vars.pressure, Math.round(Math.max(1, 1 + (this.temperature - 100) * 0.062) * 100) / 100);
    d(vars.holdTime, this.holdTicks);
    vars.batch.setValueFromSource(new Variant({ dataType: DataType.String, value: this.batch }), StatusCodes.Good);
  }
}

/**
 * CLI: `steriliser-simulator.ts --port 4840 [--tick 1000] [--hold-ticks 20] [--pki dir] [--out-of-limits]`.
 * Reads commands on stdin, one a line: `stop`, `start`, `cold` (out-of-limit holds), `normal`; answers each with a
 * line on stdout (`started <endpoint>`, `stopped`, ...), so a test can drive it as a separate process.
 */
if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sim = new SteriliserSimulator({
    port: Number(arg('--port') ?? 4840),
    tickMs: Number(arg('--tick') ?? 1000),
    holdTicks: Number(arg('--hold-ticks') ?? 20),
    pkiDir: arg('--pki'),
    outOfLimits: process.argv.includes('--out-of-limits'),
  });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  void sim.start().then(() => say(`started ${sim.endpoint}`));
  let buf = '';
  process.stdin.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const cmd = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (cmd === 'stop') void sim.stop().then(() => say('stopped'));
      else if (cmd === 'start') void sim.start().then(() => say(`started ${sim.endpoint}`));
      else if (cmd === 'cold') (sim.outOfLimits = true), say('cold');
      else if (cmd === 'normal') (sim.outOfLimits = false), say('normal');
    }
  });
  const quit = () => void sim.stop().then(() => process.exit(0));
  process.stdin.on('end', quit);
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
}
