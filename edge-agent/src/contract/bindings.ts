/**
 * Stop-gap bindings of the contract, used only until @cradle/protocol exports them (see ./index.ts).
 * Deliberately tiny: enough GS1 to run the agent and its tests; protocol/ owns the real syntax engine.
 */
import { randomBytes } from 'node:crypto';
import type { ScanParse, UpChannel } from './types';

const GS = '\u001d';
const FIXED: Record<string, number> = { '00': 18, '01': 14, '02': 14, '11': 6, '13': 6, '15': 6, '17': 6 };
const VARIABLE = new Set(['10', '21', '240', '400']);
const NAMES: Record<string, 'sscc' | 'gtin' | 'batch' | 'expiry' | 'serial'> = {
  '00': 'sscc',
  '01': 'gtin',
  '10': 'batch',
  '17': 'expiry',
  '21': 'serial',
};

function aimOf(raw: string): { symbology: string | undefined; data: string } {
  const m = /^\](C1|d2|Q1|Q3|e0|[A-Za-z][0-9A-Za-z])/.exec(raw);
  if (!m) return { symbology: undefined, data: raw };
  return { symbology: `]${m[1]}`, data: raw.slice(m[0].length) };
}

function fail(code: string, message: string): ScanParse {
  return { ok: false, error: { code, message } };
}

/** Parses a barcode read (with optional AIM identifier) into GS1 fields. */
export function parseScan(raw: string): ScanParse {
  const { symbology, data } = aimOf(raw);
  if (data.length === 0) return fail('EMPTY', 'empty read');
  if (/^https?:\/\//.test(data)) {
    const m = /\/01\/(\d{14})((?:\/\d{2,4}\/[^/?#]+)*)/.exec(data);
    if (!m || !m[1]) return fail('DL_INVALID', 'not a GS1 Digital Link URI');
    const value: Record<string, string | undefined> = { gtin: m[1], symbology, digitalLink: data };
    const rest = (m[2] ?? '').split('/').filter(Boolean);
    for (let i = 0; i + 1 < rest.length; i += 2) {
      const name = NAMES[rest[i] ?? ''];
      if (name) value[name] = decodeURIComponent(rest[i + 1] ?? '');
    }
    return { ok: true, value };
  }
  const value: Record<string, string | undefined> = { symbology };
  let i = data.startsWith('(') ? -1 : 0;
  if (i < 0) return fail('HRI_NOT_SUPPORTED', 'human-readable AI brackets are not a scanner transmission');
  while (i < data.length) {
    const two = data.slice(i, i + 2);
    const three = data.slice(i, i + 3);
    let ai: string;
    let len: number | undefined;
    if (FIXED[two] !== undefined) [ai, len] = [two, FIXED[two]];
    else if (VARIABLE.has(two)) ai = two;
    else if (VARIABLE.has(three)) ai = three;
    else return fail('UNKNOWN_AI', `unknown or unsupported application identifier at position ${i}: ${two}`);
    i += ai.length;
    let v: string;
    if (len !== undefined) {
      v = data.slice(i, i + len);
      if (v.length !== len || !/^\d+$/.test(v)) return fail('BAD_VALUE', `AI (${ai}) needs ${len} digits`);
      i += len;
      if (data[i] === GS) i += 1;
    } else {
      const end = data.indexOf(GS, i);
      v = end < 0 ? data.slice(i) : data.slice(i, end);
      i = end < 0 ? data.length : end + 1;
      if (v.length === 0 || v.length > 20) return fail('BAD_VALUE', `AI (${ai}) must be 1-20 characters`);
    }
    if ((ai === '01' || ai === '00') && !checkDigitOk(v)) return fail('BAD_CHECK_DIGIT', `AI (${ai}) check digit wrong`);
    const name = NAMES[ai];
    if (name) value[name] = v;
  }
  if (!value.gtin && !value.sscc) return fail('NO_KEY', 'neither a GTIN (01) nor an SSCC (00)');
  return { ok: true, value };
}

function checkDigitOk(digits: string): boolean {
  let sum = 0;
  for (let k = 0; k < digits.length - 1; k++) {
    const d = Number(digits[digits.length - 2 - k]);
    sum += k % 2 === 0 ? d * 3 : d;
  }
  return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
}

/** UUIDv7 (RFC 9562): 48-bit ms timestamp, then random bits; sorts by creation time. */
export function newSourceId(now: number = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function topicFor(siteId: string, deviceId: string, channel: UpChannel): string {
  return `cradle/v1/${siteId}/${deviceId}/${channel}`;
}

export function commandTopic(siteId: string, deviceId: string): string {
  return `cradle/v1/${siteId}/${deviceId}/command`;
}
