/**
 * Scanner simulator: writes realistic scan streams into the device end of a virtual serial pair, as a fixed-mount
 * scanner would: GS1-128 with AIM `]C1` and GS separators, GS1 DataMatrix `]d2`, QR Digital Link `]Q1`, plus
 * no-reads, doubles (the same label read twice in a row) and garbage (line noise, unknown AIs).
 *
 * Run alone: `node --import tsx edge-agent/src/simulators/scanner-simulator.ts <dir> [readsPerSecond]` creates
 * `<dir>/scanner-agent` (point the agent there) and streams into it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VirtualSerialPair } from './virtual-serial';

const GS = '\u001d';
export type ScanKind = 'gs1-128' | 'datamatrix' | 'qr-digital-link' | 'sscc' | 'noread' | 'garbage';

/** GS1 mod-10 check digit of the digits before it. */
export function gs1CheckDigit(body: string): string {
  let sum = 0;
  for (let k = 0; k < body.length; k++) sum += Number(body[body.length - 1 - k]) * (k % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

export const SIM_GTINS = ['09506000134352', '09506000134369', '09506000134376'] as const;

/** Makes unique, valid reads; `serialNo` makes each serial unique within a stream. */
export function makeRead(kind: ScanKind, serialNo: number, batch = 'B0001'): string {
  const gtin = SIM_GTINS[serialNo % SIM_GTINS.length]!;
  const serial = `S${String(serialNo).padStart(9, '0')}`;
  switch (kind) {
    case 'gs1-128':
      return `]C101${gtin}10${batch}${GS}21${serial}`;
    case 'datamatrix':
      return `]d201${gtin}17271231${`10${batch}`}${GS}21${serial}`;
    case 'qr-digital-link':
      return `]Q1https://id.cradle.example/01/${gtin}/10/${batch}/21/${serial}`;
    case 'sscc': {
      const body = `00950600013${String(serialNo).padStart(6, '0')}`;
      return `]C100${body}${gs1CheckDigit(body)}`;
    }
    case 'noread':
      return 'NOREAD';
    case 'garbage':
      return `]C1${'\u00ff\u0003x9'}${serialNo}`;
  }
}

export interface StreamOptions {
  readsPerSecond: number;
  /** Stop after this many reads; undefined = until stop(). */
  count?: number | undefined;
  terminator?: '\r' | '\n' | '\r\n' | '' | undefined;
  /** Share of each kind; the rest are GS1-128. */
  mix?: Partial<Record<'noread' | 'garbage' | 'double', number>> | undefined;
  firstSerial?: number | undefined;
}

/** Writes scans into the device end of a serial pair at a steady rate. */
export class ScannerSimulator {
  readonly written: string[] = [];
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private n = 0;

  constructor(private readonly devicePath: string) {}

  open(): void {
    this.fd = fs.openSync(this.devicePath, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
  }

  /** Writes one read now (with its terminator). */
  write(read: string, terminator = '\r'): void {
    if (this.fd === undefined) this.open();
    fs.writeSync(this.fd!, Buffer.from(read + terminator, 'latin1'));
    this.written.push(read);
  }

  /** Streams reads; resolves when `count` reads are written (or stop() is called). */
  stream(o: StreamOptions): Promise<void> {
    const kinds: ScanKind[] = ['gs1-128', 'datamatrix', 'qr-digital-link'];
    let serial = o.firstSerial ?? 1;
    const interval = 1000 / o.readsPerSecond;
    const started = Date.now();
    return new Promise((resolve) => {
      const tick = () => {
        // Catch up by wall clock, so the rate holds even when timers fire late.
        const due = Math.floor((Date.now() - started) / interval) + 1;
        while (this.n < due && (o.count === undefined || this.n < o.count)) {
          this.n += 1;
          const r = Math.random();
          const mix = o.mix ?? {};
          let read: string;
          if (r < (mix.noread ?? 0)) read = makeRead('noread', 0);
          else if (r < (mix.noread ?? 0) + (mix.garbage ?? 0)) read = makeRead('garbage', serial++);
          else read = makeRead(kinds[serial % kinds.length]!, serial++);
          this.write(read, o.terminator ?? '\r');
          if (Math.random() < (mix.double ?? 0)) this.write(read, o.terminator ?? '\r');
        }
        if (o.count !== undefined && this.n >= o.count) return resolve();
        this.timer = setTimeout(tick, Math.max(1, interval));
      };
      this.stopResolve = resolve;
      tick();
    });
  }

  private stopResolve: (() => void) | undefined;

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopResolve?.();
  }

  close(): void {
    this.stop();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? '.');
  const rate = Number(process.argv[3] ?? 10);
  const pair = new VirtualSerialPair(path.join(dir, 'scanner-agent'), path.join(dir, 'scanner-device'));
  void pair.start().then(() => {
    console.log(`agent end: ${pair.agentEnd}`);
    const sim = new ScannerSimulator(pair.deviceEnd);
    void sim.stream({ readsPerSecond: rate, mix: { noread: 0.02, garbage: 0.01, double: 0.05 } });
    process.on('SIGINT', () => {
      sim.close();
      void pair.stop().then(() => process.exit(0));
    });
  });
}
