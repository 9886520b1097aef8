/**
 * One barcode scanner on a serial port. serialport does not reconnect by itself: when the port disappears (USB
 * unplugged, virtual port torn down) this driver closes it, retries with capped exponential backoff, and reports
 * each state change, so the agent can say so in its retained status.
 */
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { ScannerConfig } from '../config/schema';
import { ReadFramer } from './framer';

export type PortState = 'connecting' | 'open' | 'disconnected' | 'stopped';

export interface SerialScannerEvents {
  frame: [frame: string];
  state: [state: PortState, detail: string | undefined];
}

export class SerialScanner extends EventEmitter<SerialScannerEvents> {
  private port: SerialPort | undefined;
  private framer: ReadFramer;
  private idleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private stopped = false;
  private current: PortState = 'connecting';

  constructor(readonly config: ScannerConfig) {
    super();
    this.framer = new ReadFramer(config.terminator);
    this.delay = config.reconnect.initialMs;
  }

  get state(): PortState {
    return this.current;
  }

  start(): void {
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.flushPending();
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
    this.setState('stopped', undefined);
  }

  private open(): void {
    if (this.stopped) return;
    const c = this.config;
    const port = new SerialPort({
      path: c.port,
      baudRate: c.baudRate,
      dataBits: c.dataBits,
      parity: c.parity,
      stopBits: c.stopBits,
      autoOpen: false,
    });
    this.port = port;
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    port.on('close', () => this.lost(port, 'port closed'));
    port.on('error', (err: Error) => this.lost(port, err.message));
    port.open((err) => {
      if (err) return this.lost(port, err.message);
      if (this.stopped) {
        port.close(() => undefined);
        return;
      }
      this.delay = c.reconnect.initialMs;
      this.setState('open', c.port);
    });
  }

  private onData(chunk: Buffer): void {
    for (const f of this.framer.push(chunk)) this.emit('frame', f);
    if (this.config.terminator === 'none' && this.framer.hasPending) {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.flushPending(), this.config.interByteTimeoutMs);
    }
  }

  private flushPending(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const f = this.framer.flush();
    if (f !== undefined) this.emit('frame', f);
  }

  private lost(port: SerialPort, why: string): void {
    if (port !== this.port || this.stopped) return;
    this.port = undefined;
    // A read cut by the port going away is still a read: hand it on (it will most likely be rejected as garbled).
    this.flushPending();
    port.removeAllListeners('data');
    port.on('error', () => undefined);
    if (port.isOpen) port.close(() => undefined);
    this.setState('disconnected', why);
    this.retryTimer = setTimeout(() => this.open(), this.delay);
    this.delay = Math.min(this.delay * 2, this.config.reconnect.maxMs);
  }

  private setState(s: PortState, detail: string | undefined): void {
    if (s === this.current && s !== 'disconnected') return;
    const changed = s !== this.current;
    this.current = s;
    if (changed) this.emit('state', s, detail);
  }
}
