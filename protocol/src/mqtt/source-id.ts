/** Source ids are UUIDv7 (RFC 9562 §5.7): time-ordered, so stores index them well, and 74 random bits from a CSPRNG. */
export interface SourceIdOptions {
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
  /** Source of random bytes; default globalThis.crypto.getRandomValues. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A new UUIDv7 string for an event or message made at its source (ingest is idempotent on it). */
export function newSourceId(opts: SourceIdOptions = {}): string {
  const ms = Math.max(0, Math.floor((opts.now ?? Date.now)()));
  const bytes = opts.randomBytes ? opts.randomBytes(16).slice(0, 16) : globalThis.crypto.getRandomValues(new Uint8Array(16));
  // 48-bit big-endian Unix time in milliseconds.
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += HEX[bytes[i] ?? 0];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}

/** The millisecond timestamp inside a UUIDv7. */
export function sourceIdTime(id: string): number | undefined {
  return UUID_V7.test(id) ? parseInt(id.slice(0, 8) + id.slice(9, 13), 16) : undefined;
}
