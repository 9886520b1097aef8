import { err, ok, type Result } from '../result';
import { parseDigitalLinkForYear } from '../digital-link/digital-link';
import { printable, toGtin14 } from './check-digit';
import { parseGs1Date } from './dates';
import { parseElementStringForYear, referenceYearOf, type ElementStringOptions } from './element-string';
import { scanError, ScanErrorCode, type ScanError } from './scan-error';

/** What the scanner read, from its AIM symbology identifier (ISO/IEC 15424) or, without one, from the content. */
export type Symbology =
  | 'gs1-128'
  | 'gs1-datamatrix'
  | 'gs1-qr'
  | 'gs1-databar'
  | 'gs1-dotcode'
  | 'qr'
  | 'datamatrix'
  | 'ean-upc'
  | 'itf-14'
  | 'unknown';

type Carrier = 'element-string' | 'url' | 'gtin';

/** AIM identifiers we accept, and what their data holds. Anything else is a symbology GS1 labels do not use. */
const AIM: Readonly<Record<string, { symbology: Symbology; carries: Carrier }>> = {
  ']C1': { symbology: 'gs1-128', carries: 'element-string' },
  ']d2': { symbology: 'gs1-datamatrix', carries: 'element-string' },
  ']Q3': { symbology: 'gs1-qr', carries: 'element-string' },
  ']e0': { symbology: 'gs1-databar', carries: 'element-string' },
  ']J1': { symbology: 'gs1-dotcode', carries: 'element-string' },
  ']Q1': { symbology: 'qr', carries: 'url' },
  ']d1': { symbology: 'datamatrix', carries: 'url' },
  ']E0': { symbology: 'ean-upc', carries: 'gtin' },
  ']E4': { symbology: 'ean-upc', carries: 'gtin' },
  ']I1': { symbology: 'itf-14', carries: 'gtin' },
};

export const DEFAULT_NO_READ_STRINGS: readonly string[] = ['NOREAD', 'NR', 'NO READ'];

export interface ParseScanOptions extends ElementStringOptions {
  /** What the scanner sends when it fails to decode (configurable per scanner model); default NOREAD, NR, NO READ. */
  readonly noReadStrings?: readonly string[];
  /** Symbologies this station accepts (e.g. only gs1-datamatrix and qr on the can line); default all. */
  readonly allowedSymbologies?: readonly Symbology[];
}

export interface Scan {
  readonly symbology: Symbology;
  /** The AIM symbology identifier sent, e.g. "]d2"; absent when the scanner sends none. */
  readonly aimId?: string;
  /** How the data was encoded: GS1 element strings, a Digital Link URL, or a bare GTIN (EAN/UPC/ITF-14). */
  readonly kind: 'element-string' | 'digital-link' | 'gtin';
  /** Every AI read → value (GTIN padded to 14 digits when read bare or from a Digital Link). */
  readonly elements: Readonly<Record<string, string>>;
  readonly gtin?: string;
  readonly serial?: string;
  readonly batch?: string;
  /** Expiry (AI 17) as an ISO date; a label day 00 resolves to the month's last day. */
  readonly expiry?: string;
  /** Best before (AI 15) as an ISO date. */
  readonly bestBefore?: string;
  /** Production date (AI 11) as an ISO date. */
  readonly productionDate?: string;
  readonly sscc?: string;
  readonly gln?: string;
  readonly count?: number;
  /** The Digital Link URL, when that is what was scanned. */
  readonly digitalLink?: string;
}

/**
 * Parses one scanner read: GS1 element strings with or without AIM identifier (FNC1 as GS), a Digital Link URL
 * (plain QR), or a bare GTIN. Never throws; every failure is a ScanError with a stable code.
 */
export function parseScan(raw: string, opts: ParseScanOptions = {}): Result<Scan, ScanError> {
  if (typeof raw !== 'string' || raw.length === 0) {
    return err(scanError(ScanErrorCode.EMPTY_SCAN, 'The scanner sent nothing: rescan.'));
  }
  if ((opts.noReadStrings ?? DEFAULT_NO_READ_STRINGS).includes(raw)) {
    return err(
      scanError(ScanErrorCode.NO_READ, `The scanner could not read the code ("${raw}"): check the label is present, clean and in the scan field.`),
    );
  }
  let aimId: string | undefined;
  let data = raw;
  let carries: Carrier | undefined;
  let symbology: Symbology = 'unknown';
  if (raw.charCodeAt(0) === 93 /* ] */) {
    aimId = raw.slice(0, 3);
    const known = AIM[aimId];
    if (!known) {
      return err(
        scanError(
          ScanErrorCode.WRONG_SYMBOLOGY,
          `The code read is symbology ${printable(aimId)}, which does not carry GS1 data: scan the GS1 DataMatrix, QR or GS1-128 code instead.`,
        ),
      );
    }
    ({ symbology, carries } = known);
    data = raw.slice(3);
  }
  if (opts.allowedSymbologies && !opts.allowedSymbologies.includes(symbology)) {
    return err(
      scanError(
        ScanErrorCode.WRONG_SYMBOLOGY,
        `This station accepts ${opts.allowedSymbologies.join(', ')} codes but read ${symbology}: scan the other code on the label.`,
      ),
    );
  }
  if (data.length === 0) return err(scanError(ScanErrorCode.EMPTY_SCAN, 'The code holds no data: rescan.'));
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if ((c < 32 && c !== 29) || c === 127) {
      return err(
        scanError(
          ScanErrorCode.CONTROL_CHARACTER,
          `The read contains control character 0x${c.toString(16).padStart(2, '0')} at character ${i + 1}: check the scanner's prefix/suffix settings (e.g. a CR/LF suffix) and that FNC1 is sent as GS.`,
          { position: i },
        ),
      );
    }
  }
  const looksLikeUrl = data.charCodeAt(0) === 104 /* h */ || data.charCodeAt(0) === 72 ? /^https?:\/\//i.test(data) : false;
  if (carries === undefined) carries = looksLikeUrl ? 'url' : isBareGtinLength(data) ? 'gtin' : 'element-string';
  const year = referenceYearOf(opts);

  if (carries === 'url') {
    const dl = parseDigitalLinkForYear(data, opts, year);
    if (!dl.ok) return dl;
    return ok(summarise(symbology, aimId, 'digital-link', dl.value.elements, year, data));
  }
  if (carries === 'gtin') {
    const gtin = toGtin14(data);
    if (!gtin.ok) return gtin;
    return ok(summarise(symbology, aimId, 'gtin', { '01': gtin.value }, year));
  }
  if (looksLikeUrl) {
    return err(scanError(ScanErrorCode.NOT_GS1_DATA, 'A GS1 element-string symbology carried a URL: the label is misprinted.'));
  }
  const parsed = parseElementStringForYear(data, opts, year);
  if (!parsed.ok) return parsed;
  return ok(summarise(symbology, aimId, 'element-string', parsed.value.elements, year));
}

function isBareGtinLength(data: string): boolean {
  const n = data.length;
  if (n !== 8 && n !== 12 && n !== 13 && n !== 14) return false;
  for (let i = 0; i < n; i++) {
    const c = data.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isoDate(elements: Readonly<Record<string, string>>, ai: string, currentYear: number): string | undefined {
  const v = elements[ai];
  if (v === undefined) return undefined;
  const r = parseGs1Date(v, { allowDayZero: true, currentYear });
  return r.ok ? r.value.iso : undefined;
}

// Plain assignments, no inner closures: this runs for every scan on the line.
function summarise(
  symbology: Symbology,
  aimId: string | undefined,
  kind: Scan['kind'],
  elements: Readonly<Record<string, string>>,
  currentYear: number,
  digitalLink?: string,
): Scan {
  const scan: { -readonly [K in keyof Scan]: Scan[K] } = { symbology, kind, elements };
  if (aimId !== undefined) scan.aimId = aimId;
  const gtin = elements['01'] ?? elements['02'];
  if (gtin !== undefined) scan.gtin = gtin;
  if (elements['21'] !== undefined) scan.serial = elements['21'];
  if (elements['10'] !== undefined) scan.batch = elements['10'];
  const expiry = isoDate(elements, '17', currentYear);
  if (expiry !== undefined) scan.expiry = expiry;
  const bestBefore = isoDate(elements, '15', currentYear);
  if (bestBefore !== undefined) scan.bestBefore = bestBefore;
  const productionDate = isoDate(elements, '11', currentYear);
  if (productionDate !== undefined) scan.productionDate = productionDate;
  if (elements['00'] !== undefined) scan.sscc = elements['00'];
  if (elements['414'] !== undefined) scan.gln = elements['414'];
  if (elements['37'] !== undefined) scan.count = Number(elements['37']);
  if (digitalLink !== undefined) scan.digitalLink = digitalLink;
  return scan;
}
