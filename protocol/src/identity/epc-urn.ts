import { err, ok, type Result } from '../result';
import { gs1CheckDigit, hasValidCheckDigit } from '../gs1/check-digit';
import { GS1_CANONICAL_ORIGIN, buildDigitalLink, parseDigitalLink, type BuildDigitalLinkOptions } from '../digital-link/digital-link';
import { scanError, ScanErrorCode, type ScanError } from '../gs1/scan-error';

/**
 * The brand's GS1 company prefixes are issued by GS1 China (690-699) with 7 digits. EPC URNs split the key at the
 * company prefix, which a GTIN does not reveal, so every conversion takes the length explicitly.
 */
export const DEFAULT_COMPANY_PREFIX_LENGTH = 7;

export interface CompanyPrefixOption {
  /** Digits in the GS1 company prefix (6..12); default DEFAULT_COMPANY_PREFIX_LENGTH (7). */
  readonly companyPrefixLength?: number;
}

function epcError(message: string): ScanError {
  return scanError(ScanErrorCode.INVALID_EPC_URI, message);
}

/** Characters EPC URIs must percent-encode in serials and lots (GS1 EPC Tag Data Standard §6.3, Table 6-1 "escaped"). */
function escapeEpc(s: string): string {
  return s.replace(/["%&/<>?]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function unescapeEpc(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function prefixLength(opts: CompanyPrefixOption): Result<number, ScanError> {
  const l = opts.companyPrefixLength ?? DEFAULT_COMPANY_PREFIX_LENGTH;
  return Number.isInteger(l) && l >= 6 && l <= 12 ? ok(l) : err(epcError(`A GS1 company prefix has 6 to 12 digits, not ${l}.`));
}

/** SGTIN EPC URN for a GTIN-14 and serial: urn:epc:id:sgtin:{company prefix}.{indicator}{item ref}.{serial}. */
export function sgtinToEpcUrn(gtin14: string, serial: string, opts: CompanyPrefixOption = {}): Result<string, ScanError> {
  const l = prefixLength(opts);
  if (!l.ok) return l;
  if (gtin14.length !== 14 || !hasValidCheckDigit(gtin14)) return err(epcError(`${gtin14} is not a valid GTIN-14.`));
  return ok(`urn:epc:id:sgtin:${gtin14.slice(1, 1 + l.value)}.${gtin14[0]}${gtin14.slice(1 + l.value, 13)}.${escapeEpc(serial)}`);
}

/** LGTIN EPC class URN for a GTIN-14 and batch/lot. */
export function lgtinToEpcUrn(gtin14: string, lot: string, opts: CompanyPrefixOption = {}): Result<string, ScanError> {
  const sgtin = sgtinToEpcUrn(gtin14, lot, opts);
  return sgtin.ok ? ok(sgtin.value.replace('urn:epc:id:sgtin:', 'urn:epc:class:lgtin:')) : sgtin;
}

/** SSCC EPC URN: urn:epc:id:sscc:{company prefix}.{extension digit}{serial reference}. */
export function ssccToEpcUrn(sscc: string, opts: CompanyPrefixOption = {}): Result<string, ScanError> {
  const l = prefixLength(opts);
  if (!l.ok) return l;
  if (sscc.length !== 18 || !hasValidCheckDigit(sscc)) return err(epcError(`${sscc} is not a valid SSCC.`));
  return ok(`urn:epc:id:sscc:${sscc.slice(1, 1 + l.value)}.${sscc[0]}${sscc.slice(1 + l.value, 17)}`);
}

/** SGLN EPC URN: urn:epc:id:sgln:{company prefix}.{location ref}.{extension}; extension "0" means none (TDS §6.3.3). */
export function sglnToEpcUrn(gln: string, extension = '0', opts: CompanyPrefixOption = {}): Result<string, ScanError> {
  const l = prefixLength(opts);
  if (!l.ok) return l;
  if (gln.length !== 13 || !hasValidCheckDigit(gln)) return err(epcError(`${gln} is not a valid GLN.`));
  return ok(`urn:epc:id:sgln:${gln.slice(0, l.value)}.${gln.slice(l.value, 12)}.${escapeEpc(extension)}`);
}

export type EpcIdentity =
  | { readonly scheme: 'sgtin'; readonly gtin: string; readonly serial: string }
  | { readonly scheme: 'lgtin'; readonly gtin: string; readonly lot: string }
  | { readonly scheme: 'sscc'; readonly sscc: string }
  | { readonly scheme: 'sgln'; readonly gln: string; readonly extension?: string };

const EPC_URN = /^urn:epc:(id|class):(sgtin|sscc|sgln|lgtin):(\d+)\.(\d*)(?:\.(.+))?$/;

/** Parses an sgtin / sscc / sgln / lgtin EPC URN back to GS1 keys (check digits recomputed). */
export function parseEpcUrn(urn: string): Result<EpcIdentity, ScanError> {
  const m = EPC_URN.exec(urn);
  if (!m) return err(epcError(`"${urn.slice(0, 80)}" is not an sgtin, sscc, sgln or lgtin EPC URN.`));
  const [, kind, scheme, cp = '', ref = '', rest] = m;
  if ((kind === 'class') !== (scheme === 'lgtin')) return err(epcError(`"${urn}" mixes urn:epc:${kind} with ${scheme}.`));
  if (cp.length < 6 || cp.length > 12) return err(epcError(`Company prefix ${cp} must have 6 to 12 digits.`));
  const tail = rest === undefined ? undefined : unescapeEpc(rest);
  if (rest !== undefined && tail === undefined) return err(epcError(`"${urn}" has broken percent-encoding.`));
  switch (scheme) {
    case 'sgtin':
    case 'lgtin': {
      if (cp.length + ref.length !== 13 || tail === undefined || tail === '') {
        return err(epcError(`"${urn}" needs company prefix + indicator/item reference of 13 digits and a ${scheme === 'sgtin' ? 'serial' : 'lot'}.`));
      }
      const body = `${ref[0]}${cp}${ref.slice(1)}`;
      const gtin = body + gs1CheckDigit(body);
      return ok(scheme === 'sgtin' ? { scheme, gtin, serial: tail } : { scheme, gtin, lot: tail });
    }
    case 'sscc': {
      if (cp.length + ref.length !== 17 || rest !== undefined) return err(epcError(`"${urn}" needs 17 digits of company prefix + serial reference.`));
      const body = `${ref[0]}${cp}${ref.slice(1)}`;
      return ok({ scheme, sscc: body + gs1CheckDigit(body) });
    }
    default: {
      if (cp.length + ref.length !== 12 || tail === undefined) return err(epcError(`"${urn}" needs 12 digits of company prefix + location reference and an extension.`));
      const body = cp + ref;
      const gln = body + gs1CheckDigit(body);
      return ok(tail === '0' ? { scheme: 'sgln', gln } : { scheme: 'sgln', gln, extension: tail });
    }
  }
}

/** Converts an EPC URN to a GS1 Digital Link URI (canonical https://id.gs1.org unless another origin is given). */
export function epcUrnToDigitalLink(urn: string, opts: BuildDigitalLinkOptions = {}): Result<string, ScanError> {
  const id = parseEpcUrn(urn);
  if (!id.ok) return id;
  const v = id.value;
  const elements: Record<string, string> =
    v.scheme === 'sgtin'
      ? { '01': v.gtin, '21': v.serial }
      : v.scheme === 'lgtin'
        ? { '01': v.gtin, '10': v.lot }
        : v.scheme === 'sscc'
          ? { '00': v.sscc }
          : v.extension === undefined
            ? { '414': v.gln }
            : { '414': v.gln, '254': v.extension };
  return buildDigitalLink(elements, { origin: GS1_CANONICAL_ORIGIN, ...opts });
}

/**
 * Converts a Digital Link URI to the finest EPC URN it identifies: 01+21 → sgtin, 01+10 → lgtin, 00 → sscc,
 * 414[+254] → sgln. Needs the company prefix length, which the URI does not carry.
 */
export function digitalLinkToEpcUrn(uri: string, opts: CompanyPrefixOption & { now?: () => number } = {}): Result<string, ScanError> {
  const dl = parseDigitalLink(uri, { now: opts.now, checkAssociations: false });
  if (!dl.ok) return dl;
  const e = dl.value.elements;
  if (e['01'] !== undefined && e['21'] !== undefined) return sgtinToEpcUrn(e['01'], e['21'], opts);
  if (e['01'] !== undefined && e['10'] !== undefined) return lgtinToEpcUrn(e['01'], e['10'], opts);
  if (e['00'] !== undefined) return ssccToEpcUrn(e['00'], opts);
  if (e['414'] !== undefined) return sglnToEpcUrn(e['414'], e['254'] ?? '0', opts);
  return err(epcError(`No EPC URN form for a Digital Link with key (${dl.value.primaryKey.ai}) and these qualifiers.`));
}
