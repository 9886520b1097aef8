/** fast-check arbitraries for valid AI values, derived from the same Syntax Dictionary specs the parser uses. */
import fc from 'fast-check';
import type { AiComponentSpec, AiSpec } from '../gs1/ai-spec';
import { gs1CheckDigit } from '../gs1/check-digit';

export const CSET82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
const CSET39 = '#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const CSET64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function chars(alphabet: string, min: number, max: number): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...alphabet.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
}

const date6 = (dayZero: boolean) =>
  fc.record({ y: fc.integer({ min: 0, max: 99 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: dayZero ? 0 : 1, max: 28 }) }).map(
    ({ y, m, d }) => pad(y) + pad(m) + pad(d),
  );

export function componentValue(c: AiComponentSpec): fc.Arbitrary<string> {
  const l = c.linters;
  if (l.includes('yymmd0')) return date6(true);
  if (l.includes('yymmdd')) return date6(false);
  if (l.includes('yyyymmdd')) return fc.tuple(fc.integer({ min: 1950, max: 2099 }), date6(false)).map(([y, d]) => String(y) + d.slice(2));
  if (l.includes('hhmi')) return fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => pad(h) + pad(m));
  if (l.includes('hh')) return fc.integer({ min: 0, max: 23 }).map((h) => pad(h));
  if (l.includes('mi') || l.includes('ss')) return fc.integer({ min: 0, max: 59 }).map((h) => pad(h));
  if (l.includes('zero')) return fc.constant('0');
  if (l.includes('yesno')) return fc.constantFrom('0', '1');
  if (l.includes('hyphen')) return fc.constant('-');
  if (l.includes('pieceoftotal')) {
    const half = c.max / 2;
    return fc.integer({ min: 1, max: 10 ** half - 1 }).chain((total) => fc.integer({ min: 1, max: total }).map((p) => pad(p, half) + pad(total, half)));
  }
  if (l.includes('csum')) return chars('0123456789', c.max - 1, c.max - 1).map((d) => d + gs1CheckDigit(d));
  const alphabet = c.cset === 'N' ? '0123456789' : c.cset === 'X' ? CSET82 : c.cset === 'Y' ? CSET39 : CSET64;
  const s = chars(alphabet, c.min, c.max);
  return l.includes('nonzero') ? s.map((v) => (/^0+$/.test(v) ? v.slice(0, -1) + '1' : v)) : s;
}

/** A valid value for the AI: mandatory components, then optional ones included or not. */
export function aiValue(spec: AiSpec): fc.Arbitrary<string> {
  const parts = spec.components.map((c) => (c.optional ? fc.option(componentValue(c), { nil: '' }) : componentValue(c)));
  return fc.tuple(...parts).map((vs) => {
    // Optional components only count while all earlier ones are present.
    const out: string[] = [];
    for (const v of vs) {
      if (v === '') break;
      out.push(v);
    }
    return out.join('');
  });
}
