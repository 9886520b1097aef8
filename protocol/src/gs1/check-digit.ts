import { err, ok, type Result } from '../result';
import { scanError, ScanErrorCode, type ScanError } from './scan-error';

/** True for a non-empty string of ASCII digits. */
export function allDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** GS1 mod-10 check digit (GS1 General Specifications §7.9.1) for the digits that precede it. */
export function gs1CheckDigit(digitsWithoutCheck: string): number {
  let sum = 0;
  // Weights alternate 3,1,... counting from the rightmost digit before the check digit.
  for (let i = digitsWithoutCheck.length - 1, w = 3; i >= 0; i--, w = 4 - w) {
    sum += (digitsWithoutCheck.charCodeAt(i) - 48) * w;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `code` is all digits and its last digit is the GS1 mod-10 check digit of the rest. */
export function hasValidCheckDigit(code: string): boolean {
  const n = code.length;
  if (n < 2) return false;
  let sum = 0;
  // Check digit included with weight 1, then 3,1,3... leftwards: the total is a multiple of 10 when it is right.
  for (let i = n - 1, w = 1; i >= 0; i--, w = 4 - w) {
    const d = code.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    sum += d * w;
  }
  return sum % 10 === 0;
}

/** True for a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 with a correct check digit. */
export function isValidGtin(code: string): boolean {
  const n = code.length;
  return (n === 8 || n === 12 || n === 13 || n === 14) && hasValidCheckDigit(code);
}

/** True for a 13-digit GLN with a correct check digit. */
export function isValidGln(code: string): boolean {
  return code.length === 13 && hasValidCheckDigit(code);
}

/** True for an 18-digit SSCC with a correct check digit. */
export function isValidSscc(code: string): boolean {
  return code.length === 18 && hasValidCheckDigit(code);
}

/** Left-pads a GTIN-8/12/13/14 to the 14 digits used in element strings, EPCIS and Digital Link. */
export function toGtin14(code: string): Result<string, ScanError> {
  const n = code.length;
  if (!allDigits(code)) {
    return err(scanError(ScanErrorCode.INVALID_CHARACTER, `A GTIN is digits only; "${printable(code)}" is not.`, { ai: '01' }));
  }
  if (n !== 8 && n !== 12 && n !== 13 && n !== 14) {
    return err(
      scanError(ScanErrorCode.INVALID_GTIN_LENGTH, `A GTIN has 8, 12, 13 or 14 digits; this one has ${n}.`, { ai: '01' }),
    );
  }
  if (!hasValidCheckDigit(code)) {
    const expected = gs1CheckDigit(code.slice(0, -1));
    return err(
      scanError(
        ScanErrorCode.BAD_CHECK_DIGIT,
        `GTIN ${code} has check digit ${code.slice(-1)} but should end in ${expected}: misprint or misread, rescan or check the label.`,
        { ai: '01' },
      ),
    );
  }
  return ok(code.padStart(14, '0'));
}

/** Shows control characters visibly in messages (GS as <GS>, others as <0xNN>). */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\u001d' ? '<GS>' : `<0x${c.charCodeAt(0).toString(16).padStart(2, '0')}>`));
}
