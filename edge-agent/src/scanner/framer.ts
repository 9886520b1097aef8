/**
 * Cuts a scanner's byte stream into reads. Scanners end a read with CR, LF or CRLF, or send nothing and rely on the
 * silence after the read (terminator "none": the driver calls flush() after the inter-byte timeout).
 * Bytes are latin1-decoded so GS (0x1D) and other control characters reach the parser unchanged.
 */
export type Terminator = 'CR' | 'LF' | 'CRLF' | 'none';

const SEQ: Record<Exclude<Terminator, 'none'>, string> = { CR: '\r', LF: '\n', CRLF: '\r\n' };
/** A scanner that never sends its terminator must not grow the buffer without bound. */
const MAX_FRAME = 4096;

export class ReadFramer {
  private pending = '';

  constructor(private readonly terminator: Terminator) {}

  /** Adds received bytes; returns the reads completed by them. */
  push(chunk: Buffer): string[] {
    this.pending += chunk.toString('latin1');
    if (this.terminator === 'none') {
      return this.pending.length > MAX_FRAME ? [this.take()] : [];
    }
    const sep = SEQ[this.terminator];
    const out: string[] = [];
    let at: number;
    while ((at = this.pending.indexOf(sep)) >= 0) {
      out.push(this.pending.slice(0, at));
      this.pending = this.pending.slice(at + sep.length);
    }
    if (this.pending.length > MAX_FRAME) out.push(this.take());
    return out;
  }

  /** Ends the read in progress (line went quiet, or port closed); undefined when nothing is pending. */
  flush(): string | undefined {
    return this.pending.length > 0 ? this.take() : undefined;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  private take(): string {
    const s = this.pending;
    this.pending = '';
    return s;
  }
}
