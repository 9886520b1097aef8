/**
 * The contract's functions, from @cradle/protocol. Kept behind this file so the rest of edge-agent depends on one
 * narrow surface (and the stop-gap that stood here before protocol/ landed could be swapped out in one place).
 */
import { randomFillSync } from 'node:crypto';
import * as protocol from '@cradle/protocol';
import type { Envelope, ScanParse, UpChannel } from './types';

/** Parses a barcode read with protocol/'s GS1 engine; `noReadStrings` are the scanner's configured no-read codes. */
export function parseScan(raw: string, noReadStrings?: readonly string[]): ScanParse {
  const r = protocol.parseScan(raw, noReadStrings ? { noReadStrings } : {});
  if (!r.ok) return { ok: false, error: { code: r.error.code, message: r.error.message } };
  const s = r.value;
  return {
    ok: true,
    value: { symbology: s.symbology, parsed: protocol.scanParsedFields(s), digitalLink: s.digitalLink, sscc: s.sscc, gtin: s.gtin },
  };
}

/**
 * Random bytes for source ids, drawn from the CSPRNG 4 KiB at a time instead of one 16-byte getRandomValues call
 * per id (that call was ~11% of the agent's CPU at full rate). Every id still gets its own fresh CSPRNG bytes, used
 * once: the same scheme as Node's own crypto.randomUUID() entropy cache.
 */
const ID_POOL = Buffer.allocUnsafe(16 * 256);
let idPoolOffset = ID_POOL.length;
function pooledRandomBytes(n: number): Uint8Array {
  if (idPoolOffset + n > ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolOffset = 0;
  }
  // A plain Uint8Array view: protocol copies it (Uint8Array#slice) before writing the version and time bits.
  const bytes = new Uint8Array(ID_POOL.buffer, ID_POOL.byteOffset + idPoolOffset, n);
  idPoolOffset += n;
  return bytes;
}

/** UUIDv7 made at the source. */
export function newSourceId(now: number): string {
  return protocol.newSourceId({ now: () => now, randomBytes: pooledRandomBytes });
}

/**
 * The JSON of an up payload: the envelope (v, id, deviceId, siteId, seq, ts, stamped at the source) followed by the
 * body's fields, as `JSON.stringify({ ...envelope, ...body })` gives, without building the merged object. The body
 * never carries envelope keys (see the body types).
 */
export function upPayload(siteId: string, deviceId: string, seq: number, now: number, body: object): string {
  const head: Envelope = { v: 1, id: newSourceId(now), deviceId, siteId, seq, ts: new Date(now).toISOString() };
  const h = JSON.stringify(head);
  const b = JSON.stringify(body);
  return b.length <= 2 ? h : `${h.slice(0, -1)},${b.slice(1)}`;
}

function topic(siteId: string, deviceId: string, channel: UpChannel | 'command'): string {
  const t = protocol.deviceTopic(siteId, deviceId, channel);
  // Site and device ids are validated against the same pattern when the config is loaded.
  if (!t.ok) throw new Error(`invalid topic parts: ${t.error.message}`);
  return t.value;
}

export function topicFor(siteId: string, deviceId: string, channel: UpChannel): string {
  return topic(siteId, deviceId, channel);
}

export function commandTopic(siteId: string, deviceId: string): string {
  return topic(siteId, deviceId, 'command');
}

/** Checks an up payload against protocol/'s schema for its channel (used by tests and the agent's self-check). */
export function validateUp(channel: UpChannel, payload: string): { ok: true } | { ok: false; message: string } {
  const r = protocol.parsePayload(channel, payload);
  return r.ok ? { ok: true } : { ok: false, message: `${r.error.message} ${JSON.stringify(r.error.issues ?? [])}` };
}
