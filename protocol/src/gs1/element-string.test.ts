import fc from 'fast-check';
import { AI_SPECS } from './ai-table.generated';
import { buildElementString, GS, parseElementString } from './element-string';
import { aiValue } from '../testing/ai-values';

const now = () => Date.UTC(2025, 5, 1);

describe('parseElementString: published examples', () => {
  it('parses the GS1 General Specifications example (01)(17)(10) with FNC1 as GS', () => {
    // GS1 General Specifications §5.4.7.2 style: fixed-length AIs first, FNC1 only after the variable-length batch.
    const r = parseElementString(`010950600013435217201225${GS}10ABC123${GS}21XYZ`, { now });
    expect(r).toEqual({
      ok: true,
      value: { elements: { '01': '09506000134352', '17': '201225', '10': 'ABC123', '21': 'XYZ' }, order: ['01', '17', '10', '21'] },
    });
  });

  it('parses the bracketed human-readable form used in GS1 documents', () => {
    const r = parseElementString('(01)12345678901231(10)ABC123(11)210630', { now });
    expect(r.ok && r.value.elements).toEqual({ '01': '12345678901231', '10': 'ABC123', '11': '210630' });
  });

  it('parses an SSCC with count and order number, and a GLN with an ITIP and GSRN', () => {
    expect(parseElementString(`00106141412345678908${GS}400PO-12${GS}`, { now, checkAssociations: false })).toMatchObject({
      ok: true,
      value: { elements: { '00': '106141412345678908', '400': 'PO-12' } },
    });
    const itip = parseElementString(`8006095060001343520102${GS}2112${GS}4140614141123452`, { now, checkAssociations: false });
    expect(itip.ok && itip.value.elements).toEqual({ '8006': '095060001343520102', '21': '12', '414': '0614141123452' });
    expect(parseElementString('8018106141412345678908', { now, checkAssociations: false })).toMatchObject({ ok: true });
  });

  it('tolerates a leading FNC1 and a GS after a predefined-length AI, without changing the data', () => {
    const r = parseElementString(`${GS}0109506000134352${GS}10A`, { now });
    expect(r.ok && r.value.elements).toEqual({ '01': '09506000134352', '10': 'A' });
  });
});

describe('parseElementString: every way it can be wrong has its own code', () => {
  const code = (data: string, opts = {}) => {
    const r = parseElementString(data, { now, ...opts });
    return r.ok ? 'ok' : r.error.code;
  };
  it.each([
    ['bad GTIN check digit', '0109506000134353', 'BAD_CHECK_DIGIT'],
    ['bad SSCC check digit', '00106141412345678909', 'BAD_CHECK_DIGIT'],
    ['bad GLN check digit', '01095060001343524140614141123453', 'BAD_CHECK_DIGIT'],
    ['unknown AI 23', '0109506000134352230000', 'UNKNOWN_AI'],
    ['unknown AI 98? no: 98 is internal and valid', '0109506000134352' + '98ABC', 'ok'],
    ['batch longer than 20', '010950600013435210' + 'A'.repeat(21), 'VALUE_TOO_LONG'],
    ['GTIN cut short', '01095060001343', 'VALUE_TOO_SHORT'],
    ['GTIN cut by a GS', `01095060${GS}001343521`, 'VALUE_TOO_SHORT'],
    ['month 13', '010950600013435217251301', 'INVALID_DATE'],
    ['30 February', '010950600013435217250230', 'INVALID_DATE'],
    ['day 00 in a yymmdd (not yymmd0) AI', '01095060001343527006250100', 'INVALID_DATE'],
    ['letters in a numeric AI', '0109506000134352' + '37AB', 'INVALID_CHARACTER'],
    ['non-CSET-82 character in a batch', '010950600013435210AB#C', 'INVALID_CHARACTER'],
    ['serial without a GTIN', '21ABC', 'MISSING_ASSOCIATED_AI'],
    ['GTIN with a count (exclusive)', `0109506000134352${'37'}5`, 'CONFLICTING_AIS'],
    ['same AI twice, different values', `010950600013435210A${GS}10B`, 'DUPLICATE_AI'],
    ['8006 not followed by GS', '80060950600013435201022112', 'MISSING_SEPARATOR'],
    ['not GS1 data at all', 'HELLO', 'NOT_GS1_DATA'],
    ['empty', '', 'EMPTY_SCAN'],
    ['only separators', `${GS}${GS}`, 'EMPTY_SCAN'],
  ])('%s', (_name, data, expected) => {
    expect(code(data)).toBe(expected);
  });

  it('day 00 in expiry means the end of the month (General Specifications §3.4.x)', () => {
    expect(code('0109506000134352172402' + '00')).toBe('ok');
  });

  it('rejects unknown AIs unless told to keep them', () => {
    const data = `0109506000134352${GS}2399${GS}10A`;
    expect(code(data)).toBe('UNKNOWN_AI');
    // Prefix 23 has 3-digit AIs (235), so the unknown AI is "239" with value "9".
    const kept = parseElementString(data, { now, keepUnknownAis: true });
    expect(kept.ok && kept.value.elements).toEqual({ '01': '09506000134352', '239': '9', '10': 'A' });
  });

  it('detects batch (10) swallowing serial (21) when the scanner sends no GS, from the value length', () => {
    const r = parseElementString('0109506000134352' + '10LOT2024A' + '21' + 'SERIAL0123456789', { now });
    expect(r).toMatchObject({ ok: false, error: { code: 'MISSING_SEPARATOR', ai: '10' } });
    expect(!r.ok && r.error.message).toMatch(/GS separator/);
  });

  it('detects batch (10) swallowing serial (21) when the line expects a serial', () => {
    const noGs = '0109506000134352' + '10LOT42' + '21ABC';
    expect(code(noGs)).toBe('ok'); // undetectable without knowing the label: "LOT4221ABC" is a legal batch
    expect(code(noGs, { expect: ['01', '10', '21'] })).toBe('MISSING_SEPARATOR');
    expect(code('010950600013435210LOT42', { expect: ['01', '10', '21'] })).toBe('MISSING_EXPECTED_AI');
    expect(code(`010950600013435210LOT42${GS}21ABC`, { expect: ['01', '10', '21'] })).toBe('ok');
  });
});

describe('element strings: build → parse round-trips (property)', () => {
  it('round-trips a single value of every AI in the Syntax Dictionary', () => {
    for (const spec of AI_SPECS) {
      fc.assert(
        fc.property(aiValue(spec), (value) => {
          const built = buildElementString({ [spec.ai]: value }, { now });
          expect(built.ok).toBe(true);
          const parsed = built.ok && parseElementString(built.value, { now, checkAssociations: false });
          expect(parsed && parsed.ok && parsed.value.elements).toEqual({ [spec.ai]: value });
        }),
        { numRuns: 15 },
      );
    }
  });

  it('round-trips combinations of AIs, as GS-separated and bracketed strings', () => {
    const specs = fc.uniqueArray(fc.constantFrom(...AI_SPECS), { minLength: 1, maxLength: 6, selector: (s) => s.ai });
    const elements = specs.chain((ss) => fc.tuple(...ss.map((s) => aiValue(s).map((v) => [s.ai, v] as const))).map((kv) => Object.fromEntries(kv)));
    fc.assert(
      fc.property(elements, (els) => {
        const gs = buildElementString(els, { now });
        expect(gs.ok && parseElementString(gs.value, { now, checkAssociations: false })).toEqual({ ok: true, value: expect.objectContaining({ elements: els }) });
        const hri = buildElementString(els, { now, format: 'hri' });
        if (hri.ok && !Object.values(els).some((v) => v.includes('('))) {
          expect(parseElementString(hri.value, { now, checkAssociations: false })).toMatchObject({ ok: true, value: { elements: els } });
        }
      }),
      { numRuns: 400 },
    );
  });

  it('refuses to build what it could not parse back', () => {
    expect(buildElementString({ '01': '09506000134353' })).toMatchObject({ ok: false, error: { code: 'BAD_CHECK_DIGIT' } });
    expect(buildElementString({ '10': 'X'.repeat(21) })).toMatchObject({ ok: false, error: { code: 'VALUE_TOO_LONG' } });
    expect(buildElementString({ '2399': 'X' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_AI' } });
  });
});
