import fc from 'fast-check';
import { SCAN_ERROR_CODES } from './scan-error';
import { buildElementString, GS, parseElementString } from './element-string';
import { parseScan } from './scan';

const now = () => Date.UTC(2025, 5, 1);

const SEEDS = [
  `]d2010950600013435217270400${'10'}B2025-07${GS}21Xk3v9QpZ2mT7`,
  `]C100106141412345678908${GS}0209506000134352375`,
  ']Q1https://id.gs1.org/01/09520123456788/10/ABC%2F123/21/12345?17=180426',
  `]C1010950600013435211250101${GS}8006095060001343520102${GS}400PO1`,
  '6291041500213',
  '(01)09506000134352(10)ABC(21)1',
];

/** Tiny deterministic PRNG (mulberry32) so the fuzz run is reproducible and fast. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CODES = new Set<string>(SCAN_ERROR_CODES);
const canonical = (o: Readonly<Record<string, string>>) => JSON.stringify(Object.entries(o).sort());

/** The outcome contract: a typed error with a known code and a message, or data that survives a rebuild. */
function checkOutcome(raw: string): void {
  const r = parseScan(raw, { now });
  if (!r.ok) {
    if (!CODES.has(r.error.code) || r.error.message.length === 0) throw new Error(`bad error for ${JSON.stringify(raw)}`);
    return;
  }
  const rebuilt = buildElementString(r.value.elements, { now });
  if (!rebuilt.ok) throw new Error(`accepted ${JSON.stringify(raw)} but cannot rebuild it: ${rebuilt.error.message}`);
  const again = parseElementString(rebuilt.value, { now, checkAssociations: false });
  if (!again.ok || canonical(again.value.elements) !== canonical(r.value.elements)) {
    throw new Error(`accepted ${JSON.stringify(raw)} but it does not survive a rebuild: ${JSON.stringify(r.value.elements)} vs ${JSON.stringify(again)}`);
  }
}

describe('parseScan never throws and always returns a typed outcome', () => {
  it('on arbitrary strings and bytes (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => checkOutcome(s)), { numRuns: 3000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => checkOutcome(String.fromCharCode(...b))), { numRuns: 3000 });
  });

  it('on 100,000 random and mutated scans', () => {
    const rand = prng(20250601);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const alphabet = `0123456789${GS}()/?%=&]dCQ1e0ABCxyz-\r\n\u0000\u007f\u00e9`;
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 100_000; i++) {
      let s = pick(SEEDS);
      const edits = 1 + Math.floor(rand() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (s.length + 1));
        const op = rand();
        if (op < 0.3) s = s.slice(0, at) + pick(alphabet.split('')) + s.slice(at + 1);
        else if (op < 0.55) s = s.slice(0, at) + pick(alphabet.split('')) + s.slice(at);
        else if (op < 0.8) s = s.slice(0, at) + s.slice(at + 1);
        else if (op < 0.9) s = s.slice(0, at);
        else s = s.replace(GS, '');
      }
      if (i % 10 === 0) s = Array.from({ length: Math.floor(rand() * 40) }, () => pick(alphabet.split(''))).join('');
      checkOutcome(s);
      if (parseScan(s, { now }).ok) accepted++;
      else rejected++;
    }
    // Both outcomes occur: the mutations are neither all fatal nor all harmless.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(10_000);
  });
});
