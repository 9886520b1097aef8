/**
 * What the driver does to a framed read before it is parsed: strip the scanner's configured prefix/suffix, spot
 * no-read strings, and suppress the same code read again within the repeat window (a scanner held over one label
 * reads it many times a second; a second physical case with the same code cannot pass in 500 ms).
 */
export interface ReadFilterOptions {
  prefix: string;
  suffix: string;
  noRead: readonly string[];
  repeatWindowMs: number;
}

export type FilteredRead =
  | { kind: 'read'; raw: string }
  | { kind: 'no_read'; raw: string }
  | { kind: 'empty'; raw: string }
  | { kind: 'repeat'; raw: string };

export class ReadFilter {
  private lastRaw: string | undefined;
  private lastAt = -Infinity;
  private readonly noRead: Set<string>;

  constructor(private readonly opts: ReadFilterOptions) {
    this.noRead = new Set(opts.noRead);
  }

  classify(frame: string, now: number): FilteredRead {
    let raw = frame;
    if (this.opts.prefix && raw.startsWith(this.opts.prefix)) raw = raw.slice(this.opts.prefix.length);
    if (this.opts.suffix && raw.endsWith(this.opts.suffix)) raw = raw.slice(0, raw.length - this.opts.suffix.length);
    // Stray CR/LF around a read (a CRLF scanner configured as LF) is framing, not data.
    raw = raw.replace(/^[\r\n]+|[\r\n]+$/g, '');
    if (raw.length === 0) return { kind: 'empty', raw };
    if (this.noRead.has(raw)) return { kind: 'no_read', raw };
    const repeat = raw === this.lastRaw && now - this.lastAt < this.opts.repeatWindowMs;
    this.lastRaw = raw;
    this.lastAt = now;
    return repeat ? { kind: 'repeat', raw } : { kind: 'read', raw };
  }
}
