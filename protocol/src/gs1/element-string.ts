import { err, ok, type Result } from '../result';
import type { AiSpec } from './ai-spec';
import { aiAt, aiLengthForPrefix, aiMatchesPattern, aiSpec, fixedValueLength, maxValueLength } from './ai-table';
import { checkAiValue } from './ai-value';
import { printable } from './check-digit';
import { scanError, ScanErrorCode, type ScanError } from './scan-error';

/** FNC1 as scanners transmit it between element strings: ASCII 29, Group Separator. */
export const GS = '\u001d';
const GS_CODE = 29;

export interface ElementStringOptions {
  /** Keep AIs GS1 has not assigned (value taken up to the next GS) instead of rejecting the scan. */
  readonly keepUnknownAis?: boolean;
  /**
   * AIs this line's labels always carry (e.g. ['01', '10', '21', '17'] for cans). When one is missing and an earlier
   * variable-length value contains it, the scanner is dropping GS separators: reported as MISSING_SEPARATOR.
   */
  readonly expect?: readonly string[];
  /** Check GS1's mandatory associations and exclusions between AIs (default true). */
  readonly checkAssociations?: boolean;
  /** Clock for resolving two-digit years (GS1 sliding window); default Date.now. */
  readonly now?: () => number;
  /** The current year for two-digit years, when the caller already knows it (takes precedence over `now`). */
  readonly referenceYear?: number;
}

/** The year two-digit GS1 years are resolved against. */
export function referenceYearOf(opts: { now?: () => number; referenceYear?: number }): number {
  if (opts.referenceYear !== undefined) return opts.referenceYear;
  const ms = (opts.now ?? Date.now)();
  // Cache the current UTC year's bounds: scans arrive thousands a second and the year rarely changes.
  if (ms >= yearCache.from && ms < yearCache.to) return yearCache.year;
  const year = new Date(ms).getUTCFullYear();
  yearCache = { year, from: Date.UTC(year, 0, 1), to: Date.UTC(year + 1, 0, 1) };
  return year;
}

let yearCache = { year: 0, from: 0, to: 0 };

export interface ParsedElementString {
  /** AI → value, as transmitted (no normalisation). */
  readonly elements: Record<string, string>;
  /** AIs in the order they appeared. */
  readonly order: readonly string[];
}

interface Ctx {
  readonly keepUnknown: boolean;
  readonly currentYear: number;
}

/** Parses GS1 element strings (FNC1 as GS, or the bracketed human-readable form "(01)...(21)..."). */
export function parseElementString(data: string, opts: ElementStringOptions = {}): Result<ParsedElementString, ScanError> {
  return parseElementStringForYear(data, opts, referenceYearOf(opts));
}

/** parseElementString with the reference year already resolved (for callers parsing many scans). */
export function parseElementStringForYear(data: string, opts: ElementStringOptions, currentYear: number): Result<ParsedElementString, ScanError> {
  const ctx: Ctx = { keepUnknown: opts.keepUnknownAis === true, currentYear };
  const parsed = data.charCodeAt(0) === 40 /* ( */ ? tokeniseHri(data, ctx) : tokenise(data, ctx);
  if (!parsed.ok) return parsed;
  const { elements, order } = parsed.value;
  if (opts.expect) {
    for (const ai of opts.expect) {
      if (ai in elements) continue;
      const swallowed = findSwallowedIn(elements, order, ai, ctx);
      if (swallowed) return err(swallowed);
      const spec = aiSpec(ai);
      return err(
        scanError(
          ScanErrorCode.MISSING_EXPECTED_AI,
          `This label should carry (${ai})${spec ? ` ${spec.title}` : ''} but the scan has none: wrong label or wrong product on this line.`,
          { ai },
        ),
      );
    }
  }
  if (opts.checkAssociations !== false) {
    const problem = checkAssociations(order);
    if (problem) return err(problem);
  }
  return parsed;
}

function tokenise(data: string, ctx: Ctx): Result<ParsedElementString, ScanError> {
  const elements: Record<string, string> = {};
  const order: string[] = [];
  const n = data.length;
  let pos = 0;
  while (pos < n) {
    // A leading FNC1, a doubled one or a trailing one carries no data; GS1 decoders skip it.
    if (data.charCodeAt(pos) === GS_CODE) {
      pos++;
      continue;
    }
    const start = pos;
    let spec = aiAt(data, pos);
    let ai: string;
    if (spec) {
      ai = spec.ai;
    } else {
      const unknown = unknownAi(data, pos, ctx);
      if (!unknown.ok) return unknown;
      ai = unknown.value;
    }
    const vstart = pos + ai.length;
    let value: string;
    const fixed = spec ? fixedValueLength(spec) : undefined;
    if (spec && fixed !== undefined) {
      const vend = vstart + fixed;
      const gs = data.indexOf(GS, vstart);
      if (vend > n || (gs >= 0 && gs < vend)) {
        const got = (gs >= 0 && gs < vend ? gs : n) - vstart;
        return err(
          scanError(
            ScanErrorCode.VALUE_TOO_SHORT,
            `(${ai}) ${spec.title} needs exactly ${fixed} characters but only ${got} were read: the code is cut short or damaged; rescan.`,
            { ai, position: start },
          ),
        );
      }
      value = data.slice(vstart, vend);
      pos = vend;
      if (pos < n && data.charCodeAt(pos) !== GS_CODE && !spec.predefinedLength) {
        return err(
          scanError(
            ScanErrorCode.MISSING_SEPARATOR,
            `(${ai}) ${spec.title} must be followed by a GS separator (FNC1) before the next AI, and none was sent: set the scanner to transmit FNC1 as GS (ASCII 29).`,
            { ai, position: pos },
          ),
        );
      }
    } else {
      const gs = data.indexOf(GS, vstart);
      const vend = gs < 0 ? n : gs;
      value = data.slice(vstart, vend);
      pos = vend;
      if (value.length === 0) {
        return err(
          scanError(ScanErrorCode.VALUE_TOO_SHORT, `(${ai}) has no value: the code is damaged or was cut short; rescan.`, {
            ai,
            position: start,
          }),
        );
      }
      if (spec && value.length > maxValueLength(spec)) {
        const swallowed = findSwallowed(spec, value, undefined, ctx, vstart);
        if (swallowed) return err(swallowed);
      }
    }
    if (spec) {
      const problem = checkAiValue(spec, value, ctx, start);
      if (problem) return err(problem);
    } else {
      const bad = firstControlOrNonAscii(value);
      if (bad >= 0) {
        return err(
          scanError(ScanErrorCode.INVALID_CHARACTER, `(${ai}) contains a character no GS1 barcode can carry.`, { ai, position: vstart + bad }),
        );
      }
    }
    const previous = elements[ai];
    if (previous !== undefined) {
      if (previous !== value) {
        return err(
          scanError(
            ScanErrorCode.DUPLICATE_AI,
            `(${ai}) appears twice with different values (${printable(previous)} and ${printable(value)}): the label is wrong; set the item aside.`,
            { ai, position: start },
          ),
        );
      }
    } else {
      elements[ai] = value;
      order.push(ai);
    }
  }
  if (order.length === 0) {
    return err(scanError(ScanErrorCode.EMPTY_SCAN, 'The scan holds no data: rescan.'));
  }
  return ok({ elements, order });
}

function firstControlOrNonAscii(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126) return i;
  }
  return -1;
}

function unknownAi(data: string, pos: number, ctx: Ctx): Result<string, ScanError> {
  const prefix = data.slice(pos, pos + 2);
  if (!/^\d\d$/.test(prefix)) {
    return err(
      scanError(
        ScanErrorCode.NOT_GS1_DATA,
        `Expected a GS1 Application Identifier (digits) at character ${pos + 1} but found "${printable(data.slice(pos, pos + 4))}": this is not GS1 data, or a separator is missing.`,
        { position: pos },
      ),
    );
  }
  const len = aiLengthForPrefix(prefix) ?? 0;
  const candidate = data.slice(pos, pos + Math.max(len, 2));
  if (ctx.keepUnknown && len > 0 && /^\d+$/.test(candidate) && candidate.length === len) return ok(candidate);
  return err(
    scanError(
      ScanErrorCode.UNKNOWN_AI,
      `(${candidate}) is not a GS1 Application Identifier this system accepts: the label is not a GS1 label, or the code was misread.`,
      { ai: candidate, position: pos },
    ),
  );
}

/**
 * A variable-length value that contains a further complete element string means the scanner dropped the GS
 * separator and the first AI swallowed the next (the classic: batch (10) swallowing serial (21)).
 */
function findSwallowed(spec: AiSpec, value: string, wanted: string | undefined, ctx: Ctx, valueStart: number): ScanError | null {
  const max = maxValueLength(spec);
  for (let p = 1; p <= Math.min(max, value.length - 2); p++) {
    const inner = aiAt(value, p);
    if (!inner || (wanted !== undefined && inner.ai !== wanted)) continue;
    if (checkAiValue(spec, value.slice(0, p), ctx) !== null) continue;
    const rest = tokenise(value.slice(p), { keepUnknown: false, currentYear: ctx.currentYear });
    if (!rest.ok) continue;
    return scanError(
      ScanErrorCode.MISSING_SEPARATOR,
      `(${spec.ai}) ${spec.title} "${value}" seems to contain (${inner.ai}) ${inner.title}: the scanner is not sending the GS separator (FNC1) after variable-length fields. Set the scanner to transmit FNC1 as GS (ASCII 29); do not accept this read.`,
      { ai: spec.ai, position: valueStart + p },
    );
  }
  return null;
}

function findSwallowedIn(elements: Record<string, string>, order: readonly string[], wanted: string, ctx: Ctx): ScanError | null {
  for (const ai of order) {
    const spec = aiSpec(ai);
    if (!spec || fixedValueLength(spec) !== undefined) continue;
    const found = findSwallowed(spec, elements[ai] ?? '', wanted, ctx, 0);
    if (found) {
      const { position: _ignored, ...withoutPosition } = found;
      return withoutPosition;
    }
  }
  return null;
}

function isPresent(order: readonly string[], pattern: string): boolean {
  if (!pattern.includes('n')) return order.includes(pattern);
  for (const ai of order) if (aiMatchesPattern(ai, pattern)) return true;
  return false;
}

function groupSatisfied(order: readonly string[], group: readonly (readonly string[])[]): boolean {
  for (const alt of group) {
    let all = true;
    for (const p of alt) if (!isPresent(order, p)) all = false;
    if (all) return true;
  }
  return false;
}

/** GS1's mandatory associations (req) and exclusions (ex) between the AIs present. */
export function checkAssociations(order: readonly string[]): ScanError | null {
  for (const ai of order) {
    const spec = aiSpec(ai);
    if (!spec) continue;
    for (const group of spec.req) {
      if (!groupSatisfied(order, group)) {
        const need = group.map((alt) => alt.map((p) => `(${p})`).join('+')).join(' or ');
        return scanError(
          ScanErrorCode.MISSING_ASSOCIATED_AI,
          `(${ai}) ${spec.title} is only valid together with ${need}, which the scan does not have: the label is incomplete; check the label.`,
          { ai },
        );
      }
    }
    for (const pattern of spec.ex) {
      if (spec.ex.length === 0) break;
      const clash = order.find((other) => other !== ai && aiMatchesPattern(other, pattern));
      if (clash) {
        return scanError(
          ScanErrorCode.CONFLICTING_AIS,
          `(${ai}) ${spec.title} must not appear together with (${clash}): the label breaks GS1 rules; check the label.`,
          { ai },
        );
      }
    }
  }
  return null;
}

/** Parses the human-readable form "(01)09506000134352(17)201225(10)ABC123" (parentheses around each AI). */
function tokeniseHri(data: string, ctx: Ctx): Result<ParsedElementString, ScanError> {
  const parts: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    const m = /^\((\d{2,4})\)/.exec(data.slice(pos));
    if (!m) return err(scanError(ScanErrorCode.NOT_GS1_DATA, `Expected "(AI)" at character ${pos + 1}.`, { position: pos }));
    const ai = m[1] ?? '';
    let next = pos + m[0].length;
    // A value may itself contain "(": the next element starts only at "(" + a known AI + ")".
    while (next < data.length) {
      const k = /^\((\d{2,4})\)/.exec(data.slice(next));
      if (data[next] === '(' && k && aiSpec(k[1] ?? '')) break;
      next++;
    }
    parts.push(ai + data.slice(pos + m[0].length, next));
    pos = next;
  }
  return tokenise(parts.join(GS), ctx);
}

export interface BuildElementStringOptions {
  /** 'gs' (default): AIs concatenated with GS after variable-length fields, as a scanner transmits; 'hri': "(01)...". */
  readonly format?: 'gs' | 'hri';
  /** Prefix such as ']d2' or ']C1' to produce exactly what a scanner with AIM identifiers enabled sends. */
  readonly symbologyId?: string;
  readonly now?: () => number;
  readonly referenceYear?: number;
}

/**
 * Builds element strings from AI → value pairs, validating every value. Predefined-length AIs go first, so the
 * fewest separators are needed (GS1 General Specifications §5.4.7.2); FNC1 follows each other field but the last.
 */
export function buildElementString(
  elements: Readonly<Record<string, string>>,
  opts: BuildElementStringOptions = {},
): Result<string, ScanError> {
  const currentYear = referenceYearOf(opts);
  const ais = Object.keys(elements);
  const specs: AiSpec[] = [];
  for (const ai of ais) {
    const spec = aiSpec(ai);
    if (!spec) {
      return err(scanError(ScanErrorCode.UNKNOWN_AI, `(${ai}) is not a GS1 Application Identifier.`, { ai }));
    }
    const problem = checkAiValue(spec, elements[ai] ?? '', { currentYear });
    if (problem) return err(problem);
    specs.push(spec);
  }
  if (specs.length === 0) return err(scanError(ScanErrorCode.EMPTY_SCAN, 'Nothing to encode.'));
  specs.sort((a, b) => Number(b.predefinedLength) - Number(a.predefinedLength) || (a.ai < b.ai ? -1 : 1));
  let out = opts.symbologyId ?? '';
  specs.forEach((spec, i) => {
    const value = elements[spec.ai] ?? '';
    if (opts.format === 'hri') {
      out += `(${spec.ai})${value}`;
      return;
    }
    out += spec.ai + value;
    if (i < specs.length - 1 && !spec.predefinedLength) out += GS;
  });
  return ok(out);
}
