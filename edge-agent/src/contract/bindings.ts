/**
 * The contract's functions, from @cradle/protocol. Kept behind this file so the rest of edge-agent depends on one
 * narrow surface (and the stop-gap that stood here before protocol/ landed could be swapped out in one place).
 */
import * as protocol from '@cradle/protocol';
import type { ScanParse, UpChannel } from './types';

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

/** UUIDv7 made at the source. */
export function newSourceId(now: number): string {
  return protocol.newSourceId({ now: () => now });
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
