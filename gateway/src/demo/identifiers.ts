import { gs1CheckDigit } from '@cradle/protocol';

/**
 * Invented GS1 company prefixes in the 690–695 range GS1 China allocates, one for the brand's trade items and
 * one for the locations (GLNs) it registers for its channel. Seven digits leave five for the reference.
 */
export const DEMO_GTIN_COMPANY_PREFIX = '6923456';
export const DEMO_GLN_COMPANY_PREFIX = '6923457';

/** GTIN-14 of a consumer unit (indicator digit 0) with item reference `itemRef` (0–99999). */
export function demoGtin(itemRef: number): string {
  const body = `0${DEMO_GTIN_COMPANY_PREFIX}${reference(itemRef)}`;
  return body + gs1CheckDigit(body);
}

/** 13-digit GLN with location reference `locationRef` (0–99999). */
export function demoGln(locationRef: number): string {
  const body = DEMO_GLN_COMPANY_PREFIX + reference(locationRef);
  return body + gs1CheckDigit(body);
}

function reference(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99_999) throw new RangeError(`reference ${n} outside 0–99999`);
  return String(n).padStart(5, '0');
}
