import { parseEpcUrn, setBounded, sglnToEpcUrn, sgtinToEpcUrn, ssccToEpcUrn } from '@cradle/protocol';

/**
 * EPC URNs of the brand's codes and places. EPC URNs split a key at the GS1 company prefix, which a GTIN does not
 * reveal; the brand's prefixes (GS1 China) have 7 digits, protocol/'s default.
 */
export const COMPANY_PREFIX_LENGTH = 7;

/** Event-time offset of the brand's sites (all in China). */
export const SITE_TIME_ZONE = '+08:00';

/** bizTransaction URI of a dispatch order (CBV allows any URI; the order id is the ordering area's). */
export const DISPATCH_TRANSACTION_PREFIX = 'urn:cradle:dispatch:';
export const dispatchTransactionUri = (orderId: string) => `${DISPATCH_TRANSACTION_PREFIX}${encodeURIComponent(orderId)}`;
export function orderIdOf(bizTransaction: string): string | null {
  if (!bizTransaction.startsWith(DISPATCH_TRANSACTION_PREFIX)) return null;
  try {
    return decodeURIComponent(bizTransaction.slice(DISPATCH_TRANSACTION_PREFIX.length));
  } catch {
    return null;
  }
}

export function sgtinEpc(gtin: string, serial: string): string | null {
  const r = sgtinToEpcUrn(gtin, serial, { companyPrefixLength: COMPANY_PREFIX_LENGTH });
  return r.ok ? r.value : null;
}

export function ssccEpc(sscc: string): string | null {
  const r = ssccToEpcUrn(sscc, { companyPrefixLength: COMPANY_PREFIX_LENGTH });
  return r.ok ? r.value : null;
}

const sglns = new Map<string, string | null>();

export function sglnOf(gln: string | null): string | null {
  if (!gln) return null;
  // Remembered: every scan of a site asks for the same one (sites are a few thousand; emptied if ever 10,000).
  let sgln = sglns.get(gln);
  if (sgln === undefined) {
    const r = sglnToEpcUrn(gln, '0', { companyPrefixLength: COMPANY_PREFIX_LENGTH });
    sgln = r.ok ? r.value : null;
    setBounded(sglns, 10_000, gln, sgln);
  }
  return sgln;
}

/** The GLN inside an SGLN URN (extension ignored), or null. */
export function glnOf(sgln: string): string | null {
  const r = parseEpcUrn(sgln);
  return r.ok && r.value.scheme === 'sgln' ? r.value.gln : null;
}
