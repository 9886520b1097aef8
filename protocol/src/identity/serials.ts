import { err, ok, type Result } from '../result';
import { gs1CheckDigit } from '../gs1/check-digit';
import { scanError, ScanErrorCode, type ScanError } from '../gs1/scan-error';

/**
 * Serial alphabets: all inside GS1 AI 21's character set 82 and free of characters that need escaping in URLs or
 * EPC URNs. The uppercase one also drops 0/O and 1/I, for serials a person may have to read out.
 */
export const SERIAL_ALPHABETS = {
  alphanumeric: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  uppercase: '23456789ABCDEFGHJKLMNPQRSTUVWXYZ',
  numeric: '0123456789',
} as const;

export type SerialAlphabet = keyof typeof SERIAL_ALPHABETS;

/** Serials must be unguessable: counterfeiters copy codes, so a consumer scan must not be predictable. */
export const MIN_SERIAL_ENTROPY_BITS = 64;

export interface GenerateSerialOptions {
  readonly alphabet?: SerialAlphabet;
  /** Source of random bytes; default the platform CSPRNG (globalThis.crypto.getRandomValues). */
  readonly randomBytes?: (n: number) => Uint8Array;
}

/** Characters needed for ≥ 64 bits of entropy from this alphabet (AI 21 allows up to 20). */
export function serialLength(alphabet: SerialAlphabet): number {
  return Math.ceil(MIN_SERIAL_ENTROPY_BITS / Math.log2(SERIAL_ALPHABETS[alphabet].length));
}

function cryptoBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** A random GS1 serial (AI 21) with at least 64 bits of entropy from a CSPRNG, uniform over the alphabet. */
export function generateSerial(opts: GenerateSerialOptions = {}): string {
  const alphabet = SERIAL_ALPHABETS[opts.alphabet ?? 'alphanumeric'];
  const random = opts.randomBytes ?? cryptoBytes;
  const length = serialLength(opts.alphabet ?? 'alphanumeric');
  // Rejection sampling: bytes at or above the largest multiple of the alphabet size would bias the low symbols.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of random(length * 2)) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * Builds an SSCC (AI 00): extension digit + company prefix + serial reference, zero-padded to 17 digits, + check digit.
 */
export function generateSscc(companyPrefix: string, serialRef: string | number, extensionDigit = 0): Result<string, ScanError> {
  const ref = String(serialRef);
  if (!/^\d{6,12}$/.test(companyPrefix)) {
    return err(scanError(ScanErrorCode.INVALID_VALUE, `A GS1 company prefix has 6 to 12 digits; got "${companyPrefix}".`, { ai: '00' }));
  }
  const refLength = 16 - companyPrefix.length;
  if (!/^\d+$/.test(ref) || ref.length > refLength) {
    return err(
      scanError(ScanErrorCode.VALUE_TOO_LONG, `With a ${companyPrefix.length}-digit company prefix the SSCC serial reference has at most ${refLength} digits; got "${ref}".`, { ai: '00' }),
    );
  }
  if (!Number.isInteger(extensionDigit) || extensionDigit < 0 || extensionDigit > 9) {
    return err(scanError(ScanErrorCode.INVALID_VALUE, 'The SSCC extension digit is 0 to 9.', { ai: '00' }));
  }
  const body = `${extensionDigit}${companyPrefix}${ref.padStart(refLength, '0')}`;
  return ok(body + gs1CheckDigit(body));
}
