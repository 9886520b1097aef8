import type { AiComponentSpec, AiSpec } from './ai-spec';
import { gs1CheckDigit, hasValidCheckDigit } from './check-digit';
import { gs1DateProblem, parseGs1Date } from './dates';
import { scanError, ScanErrorCode, type ScanError } from './scan-error';

/** GS1 AI encodable character set 82 (General Specifications Figure 7.11-1), as a lookup by char code. */
const CSET82 = charTable(`!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`);
/** GS1 AI encodable character set 39 (Figure 7.11-2). */
const CSET39 = charTable('#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
/** base64url alphabet with padding, for AI 8030 (DIGSIG). */
const CSET64 = charTable('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=');

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const CSET_NAMES = { N: 'digits', X: 'GS1 character set 82', Y: 'GS1 character set 39', Z: 'base64url characters' } as const;

/** Index of the first character outside the component's character set, or -1. */
function firstBadChar(cset: AiComponentSpec['cset'], s: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const good =
      cset === 'N' ? c >= 48 && c <= 57 : c < 128 && (cset === 'X' ? CSET82 : cset === 'Y' ? CSET39 : CSET64)[c] === 1;
    if (!good) return i;
  }
  return -1;
}

export interface ValueCheckOptions {
  /** Year used to resolve two-digit years (GS1 sliding window). */
  readonly currentYear: number;
}

/**
 * Validates an AI's value against the Syntax Dictionary: lengths, character sets, check digits and dates.
 * Linters not implemented here (iso3166, iso4217, iban, csumalpha, pcenc, coupon checks, gcp position) pass.
 */
export function checkAiValue(spec: AiSpec, value: string, opts: ValueCheckOptions, position?: number): ScanError | null {
  const ai = spec.ai;
  const where = position === undefined ? { ai } : { ai, position };
  let pos = 0;
  for (const comp of spec.components) {
    const remaining = value.length - pos;
    if (remaining === 0 && comp.optional) break;
    if (remaining < comp.min) {
      return scanError(
        ScanErrorCode.VALUE_TOO_SHORT,
        `(${ai}) ${spec.title} needs ${describeLength(spec)} but got ${value.length}: the code is cut short or misread; rescan.`,
        where,
      );
    }
    const take = comp.min === comp.max ? comp.max : Math.min(comp.max, remaining);
    const end = pos + take;
    const bad = firstBadChar(comp.cset, value, pos, end);
    if (bad >= 0) {
      const ch = value.charCodeAt(bad);
      const shown = ch < 32 || ch === 127 ? `control character 0x${ch.toString(16).padStart(2, '0')}` : `"${value[bad]}"`;
      return scanError(
        ScanErrorCode.INVALID_CHARACTER,
        `(${ai}) ${spec.title} allows only ${CSET_NAMES[comp.cset]}; found ${shown} at character ${bad + 1} of the value.`,
        where,
      );
    }
    const part = value.slice(pos, end);
    for (const linter of comp.linters) {
      const problem = lint(linter, part, opts);
      if (problem) {
        const code =
          linter === 'csum' ? ScanErrorCode.BAD_CHECK_DIGIT : linter.startsWith('yy') || linter === 'hhmi' ? ScanErrorCode.INVALID_DATE : ScanErrorCode.INVALID_VALUE;
        return scanError(code, `(${ai}) ${spec.title} ${part}: ${problem}.`, where);
      }
    }
    pos = end;
  }
  if (pos < value.length) {
    return scanError(
      ScanErrorCode.VALUE_TOO_LONG,
      `(${ai}) ${spec.title} allows ${describeLength(spec)} but got ${value.length}.`,
      where,
    );
  }
  return null;
}

export function describeLength(spec: AiSpec): string {
  let min = 0;
  let max = 0;
  for (const c of spec.components) {
    if (!c.optional) min += c.min;
    max += c.max;
  }
  return min === max ? `exactly ${max} characters` : `${min} to ${max} characters`;
}

function lint(linter: string, part: string, opts: ValueCheckOptions): string | null {
  switch (linter) {
    case 'csum': {
      if (hasValidCheckDigit(part)) return null;
      const expected = gs1CheckDigit(part.slice(0, -1));
      return part.charCodeAt(part.length - 1) - 48 === expected
        ? null
        : `check digit is ${part.slice(-1)} but should be ${expected}; misprint or misread, rescan or check the label`;
    }
    case 'yymmd0':
    case 'yymmdd': {
      const problem = gs1DateProblem(part, linter === 'yymmd0', opts.currentYear);
      return problem === null ? null : `is not a valid YYMMDD date (${problem})`;
    }
    case 'yyyymmdd': {
      const y = Number(part.slice(0, 4));
      const r = parseGs1Date(part.slice(2), { allowDayZero: false, currentYear: y });
      return r.ok ? null : `is not a valid YYYYMMDD date (${r.error})`;
    }
    case 'hhmi':
      return Number(part.slice(0, 2)) <= 23 && Number(part.slice(2, 4)) <= 59 ? null : 'is not a valid HHMM time';
    case 'hh':
      return Number(part) <= 23 ? null : 'is not a valid hour';
    case 'mi':
    case 'ss':
      return Number(part) <= 59 ? null : 'is not a valid minute/second';
    case 'nonzero':
      return /^0+$/.test(part) ? 'must not be zero' : null;
    case 'zero':
      return part === '0' ? null : 'must be 0';
    case 'yesno':
      return part === '0' || part === '1' ? null : 'must be 0 or 1';
    case 'hyphen':
      return part === '-' ? null : 'must be "-"';
    case 'pieceoftotal': {
      const piece = Number(part.slice(0, part.length / 2));
      const total = Number(part.slice(part.length / 2));
      return piece >= 1 && total >= 1 && piece <= total ? null : 'piece number must be between 1 and the total';
    }
    default:
      return null;
  }
}
