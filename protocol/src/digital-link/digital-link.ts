import { err, ok, type Result } from '../result';
import type { AiSpec } from '../gs1/ai-spec';
import { aiSpec } from '../gs1/ai-table';
import { checkAiValue } from '../gs1/ai-value';
import { allDigits, printable, toGtin14 } from '../gs1/check-digit';
import { buildElementString, checkAssociations, parseElementString, referenceYearOf, type ElementStringOptions } from '../gs1/element-string';
import { scanError, ScanErrorCode, type ScanError } from '../gs1/scan-error';

/** The resolver GS1 runs; the canonical Digital Link form uses it (GS1 Digital Link URI Syntax §4.11). */
export const GS1_CANONICAL_ORIGIN = 'https://id.gs1.org';

/** Short names from GS1 Digital Link 1.0, accepted on input only (we always emit numeric AIs). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  gtin: '01', sscc: '00', gln: '414', cpv: '22', lot: '10', ser: '21', exp: '17', bbd: '15', srin: '8019',
  gdti: '253', gcn: '255', ginc: '401', gsin: '402', grai: '8003', giai: '8004', itip: '8006', cpid: '8010',
  gmn: '8013', gsrnp: '8017', gsrn: '8018', glnx: '254',
};

/** Preference when several primary keys are present in the data to be linked. */
const PRIMARY_KEY_PREFERENCE = ['01', '8006', '00', '414', '417', '8004', '8003', '253', '255', '401', '402', '8010', '8013', '8017', '8018'];

export interface AiValue {
  readonly ai: string;
  readonly value: string;
}

export interface DigitalLink {
  /** Scheme and host, e.g. "https://id.gs1.org". */
  readonly origin: string;
  /** Path before the primary key ("" when none), kept as written. */
  readonly stem: string;
  readonly primaryKey: AiValue;
  /** Key qualifiers in path order (for a GTIN: 22, 10, 21). */
  readonly qualifiers: readonly AiValue[];
  /** GS1 data attributes from the query string, by AI. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Query parameters that are not AIs (linkType, context, ...), decoded. */
  readonly otherParams: Readonly<Record<string, string>>;
  /** All AIs: key, qualifiers and attributes (GTINs padded to 14 digits). */
  readonly elements: Readonly<Record<string, string>>;
}

const URI = /^(https?):\/\/([^/?#\s]+)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i;

function dlError(message: string, ai?: string): ScanError {
  return scanError(ScanErrorCode.INVALID_DIGITAL_LINK, message, ai === undefined ? undefined : { ai });
}

/** Most values carry no escapes: skip the decoder (and its exception path) for them. */
function decodeIfNeeded(s: string): string | undefined {
  return s.includes('%') ? decode(s) : s;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Percent-encodes every character that is not RFC 3986 "unreserved" (GS1 Digital Link URI Syntax §6). */
export function encodeDigitalLinkValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function resolveAi(segment: string): AiSpec | undefined {
  return aiSpec(segment) ?? (Object.hasOwn(SHORT_NAMES, segment) ? aiSpec(SHORT_NAMES[segment] ?? '') : undefined);
}

/** True when `quals` appear in the order of one of the key's qualifier sequences (e.g. 22 → 10 → 21). */
function qualifiersInOrder(key: AiSpec, quals: readonly string[]): boolean {
  if (quals.length === 0) return true;
  for (const seq of key.dlPrimaryKey ?? []) {
    let at = 0;
    let inOrder = true;
    for (const q of quals) {
      const idx = seq.indexOf(q, at);
      if (idx < 0) {
        inOrder = false;
        break;
      }
      at = idx + 1;
    }
    if (inOrder) return true;
  }
  return false;
}

function isQualifierOf(key: AiSpec, ai: string): boolean {
  for (const seq of key.dlPrimaryKey ?? []) if (seq.includes(ai)) return true;
  return false;
}

/** Parses a GS1 Digital Link URI: https://{host}[/{stem}]/01/{gtin}[/22/..][/10/..][/21/..][?17=YYMMDD&...]. */
export function parseDigitalLink(uri: string, opts: Pick<ElementStringOptions, 'now' | 'referenceYear' | 'checkAssociations'> = {}): Result<DigitalLink, ScanError> {
  return parseDigitalLinkForYear(uri, opts, referenceYearOf(opts));
}

/** parseDigitalLink with the reference year already resolved (for callers parsing many scans). */
export function parseDigitalLinkForYear(uri: string, opts: Pick<ElementStringOptions, 'checkAssociations'>, currentYear: number): Result<DigitalLink, ScanError> {
  const m = URI.exec(uri);
  if (!m) return err(dlError(`"${printable(uri.slice(0, 60))}" is not an http(s) URL, so it cannot be a GS1 Digital Link.`));
  const origin = `${(m[1] ?? '').toLowerCase()}://${(m[2] ?? '').toLowerCase()}`;
  const segments = (m[3] ?? '').split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  let keyIndex = -1;
  for (let i = 0; i + 1 < segments.length; i++) {
    const spec = resolveAi(segments[i] ?? '');
    if (!spec?.dlPrimaryKey || (segments.length - i) % 2 !== 0) continue;
    keyIndex = i;
    break;
  }
  if (keyIndex < 0) {
    return err(dlError('The URL has no GS1 key in its path (such as /01/{GTIN}): it is not a GS1 Digital Link, or it was cut short.'));
  }
  const elements: Record<string, string> = {};
  const pairs: AiValue[] = [];
  for (let i = keyIndex; i < segments.length; i += 2) {
    const spec = resolveAi(segments[i] ?? '');
    const raw = decodeIfNeeded(segments[i + 1] ?? '');
    if (!spec) return err(dlError(`"${segments[i]}" in the path is not a GS1 Application Identifier.`));
    if (raw === undefined) return err(dlError(`The value after /${spec.ai}/ has broken percent-encoding.`, spec.ai));
    if (spec.ai in elements) return err(dlError(`(${spec.ai}) appears twice in the path.`, spec.ai));
    let value = raw;
    if (spec.ai === '01' && raw.length !== 14) {
      const padded = toGtin14(raw);
      if (!padded.ok) return padded;
      value = padded.value;
    }
    const problem = checkAiValue(spec, value, { currentYear });
    if (problem) return err(problem);
    elements[spec.ai] = value;
    pairs.push({ ai: spec.ai, value });
  }
  const primaryKey = pairs[0] as AiValue;
  const qualifiers = pairs.slice(1);
  const keySpec = aiSpec(primaryKey.ai) as AiSpec;
  const qualifierAis: string[] = [];
  for (const q of qualifiers) qualifierAis.push(q.ai);
  if (!qualifiersInOrder(keySpec, qualifierAis)) {
    const allowed = (keySpec.dlPrimaryKey ?? []).map((seq) => seq.join(' → ') || 'none').join(' or ');
    return err(
      dlError(
        `Key qualifiers after (${primaryKey.ai}) must come in the order ${allowed}; this URL has ${qualifiers.map((q) => q.ai).join(' → ')}.`,
        primaryKey.ai,
      ),
    );
  }
  const attributes: Record<string, string> = {};
  const otherParams: Record<string, string> = {};
  const query = m[4];
  if (query) {
    for (const param of query.split('&')) {
      if (param === '') continue;
      const eq = param.indexOf('=');
      const key = decodeIfNeeded(eq < 0 ? param : param.slice(0, eq));
      const value = decodeIfNeeded(eq < 0 ? '' : param.slice(eq + 1));
      if (key === undefined || value === undefined) return err(dlError('The query string has broken percent-encoding.'));
      const numeric = allDigits(key);
      const spec = numeric ? aiSpec(key) : SHORT_NAMES[key] ? resolveAi(key) : undefined;
      if (!spec) {
        if (numeric) {
          return err(scanError(ScanErrorCode.UNKNOWN_AI, `Query parameter ${key} is not a GS1 Application Identifier.`, { ai: key }));
        }
        otherParams[key] = value;
        continue;
      }
      if (spec.ai in elements) return err(dlError(`(${spec.ai}) is given twice.`, spec.ai));
      if (spec.dlPrimaryKey || !spec.dlDataAttribute || isQualifierOf(keySpec, spec.ai)) {
        return err(
          dlError(
            `(${spec.ai}) ${spec.title} may not be a query parameter: keys and key qualifiers (such as serial 21) belong in the path.`,
            spec.ai,
          ),
        );
      }
      const problem = checkAiValue(spec, value, { currentYear });
      if (problem) return err(problem);
      attributes[spec.ai] = value;
      elements[spec.ai] = value;
    }
  }
  if (opts.checkAssociations !== false) {
    // The same GS1 rules for mandatory associations and exclusions as for element strings.
    const problem = checkAssociations(Object.keys(elements));
    if (problem) return err(problem);
  }
  let stem = '';
  for (let i = 0; i < keyIndex; i++) stem += `/${segments[i]}`;
  return ok({ origin, stem, primaryKey, qualifiers, attributes, otherParams, elements });
}

export interface BuildDigitalLinkOptions {
  /** Scheme and host of the resolver, default https://id.gs1.org. */
  readonly origin?: string;
  /** Path prefix before the key, e.g. "/products" (no trailing slash). */
  readonly stem?: string;
  /** Extra non-AI query parameters (linkType...), appended after the AIs. */
  readonly otherParams?: Readonly<Record<string, string>>;
  readonly now?: () => number;
}

/** Builds a GS1 Digital Link URI from AI → value pairs: key and qualifiers in the path, data attributes in the query. */
export function buildDigitalLink(elements: Readonly<Record<string, string>>, opts: BuildDigitalLinkOptions = {}): Result<string, ScanError> {
  const currentYear = new Date((opts.now ?? Date.now)()).getUTCFullYear();
  const values: Record<string, string> = { ...elements };
  if (values['01'] !== undefined && values['01'].length !== 14) {
    const padded = toGtin14(values['01']);
    if (!padded.ok) return padded;
    values['01'] = padded.value;
  }
  const keyAi = PRIMARY_KEY_PREFERENCE.find((ai) => ai in values) ?? Object.keys(values).find((ai) => aiSpec(ai)?.dlPrimaryKey);
  if (keyAi === undefined) return err(dlError('A Digital Link needs a GS1 key such as (01) GTIN or (00) SSCC.'));
  const keySpec = aiSpec(keyAi) as AiSpec;
  const present = (keySpec.dlPrimaryKey ?? [[]]).map((seq) => seq.filter((q) => q in values));
  const quals = present.reduce((best, seq) => (seq.length > best.length ? seq : best), [] as string[]);
  let path = `/${keyAi}/${encodeDigitalLinkValue(values[keyAi] ?? '')}`;
  for (const q of quals) path += `/${q}/${encodeDigitalLinkValue(values[q] ?? '')}`;
  const inPath = new Set([keyAi, ...quals]);
  const params: string[] = [];
  for (const ai of Object.keys(values).sort()) {
    if (inPath.has(ai)) continue;
    const spec = aiSpec(ai);
    if (!spec) return err(scanError(ScanErrorCode.UNKNOWN_AI, `(${ai}) is not a GS1 Application Identifier.`, { ai }));
    if (!spec.dlDataAttribute || spec.dlPrimaryKey || keySpec.dlPrimaryKey?.some((seq) => seq.includes(ai))) {
      return err(dlError(`(${ai}) ${spec.title} cannot be carried in a Digital Link with key (${keyAi}).`, ai));
    }
    params.push(`${ai}=${encodeDigitalLinkValue(values[ai] ?? '')}`);
  }
  for (const [k, v] of Object.entries(opts.otherParams ?? {})) params.push(`${encodeDigitalLinkValue(k)}=${encodeDigitalLinkValue(v)}`);
  for (const ai of Object.keys(values)) {
    const spec = aiSpec(ai) as AiSpec;
    const problem = checkAiValue(spec, values[ai] ?? '', { currentYear });
    if (problem) return err(problem);
  }
  const origin = (opts.origin ?? GS1_CANONICAL_ORIGIN).replace(/\/+$/, '');
  const stem = opts.stem ? `/${opts.stem.replace(/^\/+|\/+$/g, '')}` : '';
  return ok(`${origin}${stem}${path}${params.length ? `?${params.join('&')}` : ''}`);
}

/** Converts a Digital Link URI to element strings (FNC1 as GS; or the "(01)..." form with format 'hri'). */
export function digitalLinkToElementString(uri: string, opts: { format?: 'gs' | 'hri'; now?: () => number } = {}): Result<string, ScanError> {
  const dl = parseDigitalLink(uri, opts);
  if (!dl.ok) return dl;
  return buildElementString(dl.value.elements, opts);
}

/** Converts element strings (as scanned, without AIM identifier) to a Digital Link URI. */
export function elementStringToDigitalLink(data: string, opts: BuildDigitalLinkOptions = {}): Result<string, ScanError> {
  const parsed = parseElementString(data, { now: opts.now });
  if (!parsed.ok) return parsed;
  return buildDigitalLink(parsed.value.elements, opts);
}
