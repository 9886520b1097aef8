import { gs1CheckDigit, hasValidCheckDigit, isValidGln, isValidGtin, isValidSscc, toGtin14 } from './check-digit';

describe('GS1 mod-10 check digits', () => {
  // Published examples: GS1 General Specifications §7.9 (GTIN-13 6291041500213, SSCC 106141412345678908 and the
  // GTIN-14 80614141123458 / GLN 0614141123452 from the EPC Tag Data Standard), and GS1's example GTINs.
  it.each([
    ['629104150021', 3],
    ['0950600013435', 2],
    ['952012345678', 8],
    ['10614141234567890', 8],
    ['8061414112345', 8],
    ['061414112345', 2],
  ])('check digit of %s is %i', (digits, check) => {
    expect(gs1CheckDigit(digits)).toBe(check);
    expect(hasValidCheckDigit(digits + check)).toBe(true);
    expect(hasValidCheckDigit(digits + ((check + 1) % 10))).toBe(false);
  });

  it('accepts GTIN-8/12/13/14 only with a correct check digit', () => {
    expect(['95011011', '614141000036', '6291041500213', '09506000134352'].every(isValidGtin)).toBe(true);
    expect(isValidGtin('6291041500214')).toBe(false);
    expect(isValidGtin('629104150021')).toBe(false); // 12 digits, wrong check digit for a GTIN-12
    expect(isValidGtin('62910415002133')).toBe(false);
    expect(isValidGtin('6291041500')).toBe(false);
    expect(isValidGtin('629104150021X')).toBe(false);
  });

  it('validates SSCC and GLN lengths and check digits', () => {
    expect(isValidSscc('106141412345678908')).toBe(true);
    expect(isValidSscc('106141412345678909')).toBe(false);
    expect(isValidGln('0614141123452')).toBe(true);
    expect(isValidGln('061414112345')).toBe(false);
  });

  it('pads to GTIN-14 and reports why a code is not a GTIN', () => {
    expect(toGtin14('6291041500213')).toEqual({ ok: true, value: '06291041500213' });
    expect(toGtin14('95011011')).toEqual({ ok: true, value: '00000095011011' }); // GTIN-8 built with a computed check digit
    expect(toGtin14('6291041500214')).toMatchObject({ ok: false, error: { code: 'BAD_CHECK_DIGIT' } });
    expect(toGtin14('12345')).toMatchObject({ ok: false, error: { code: 'INVALID_GTIN_LENGTH' } });
    expect(toGtin14('62910415OO213')).toMatchObject({ ok: false, error: { code: 'INVALID_CHARACTER' } });
  });
});
