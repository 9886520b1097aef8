import { GS } from './element-string';
import { parseScan } from './scan';

const now = () => Date.UTC(2025, 5, 1);

describe('parseScan: what scanners send', () => {
  it('reads a GS1 DataMatrix can code with AIM ]d2: GTIN, expiry, batch, serial', () => {
    const r = parseScan(`]d2010950600013435217270400${'10'}B2025-07${GS}21Xk3v9QpZ2mT7`, { now });
    expect(r).toEqual({
      ok: true,
      value: {
        symbology: 'gs1-datamatrix',
        aimId: ']d2',
        kind: 'element-string',
        elements: { '01': '09506000134352', '17': '270400', '10': 'B2025-07', '21': 'Xk3v9QpZ2mT7' },
        gtin: '09506000134352',
        expiry: '2027-04-30',
        batch: 'B2025-07',
        serial: 'Xk3v9QpZ2mT7',
      },
    });
  });

  it('reads a GS1-128 case label with SSCC and count', () => {
    const r = parseScan(`]C100106141412345678908${GS}0209506000134352375`, { now });
    expect(r).toMatchObject({ ok: true, value: { symbology: 'gs1-128', sscc: '106141412345678908', gtin: '09506000134352', count: 5 } });
  });

  it('reads GS1 QR (]Q3) and DataBar (]e0) element strings', () => {
    expect(parseScan(']Q3010950600013435210A', { now })).toMatchObject({ ok: true, value: { symbology: 'gs1-qr', batch: 'A' } });
    expect(parseScan(']e00109506000134352', { now })).toMatchObject({ ok: true, value: { symbology: 'gs1-databar' } });
  });

  it('reads a Digital Link in a plain QR (]Q1) and without AIM identifier', () => {
    const url = 'https://id.gs1.org/01/09520123456788/10/ABC%2F123/21/12345?17=180426';
    for (const raw of [`]Q1${url}`, url]) {
      expect(parseScan(raw, { now })).toMatchObject({
        ok: true,
        value: { kind: 'digital-link', gtin: '09520123456788', batch: 'ABC/123', serial: '12345', expiry: '2018-04-26', digitalLink: url },
      });
    }
  });

  it('reads bare GTINs (EAN-13 ]E0, ITF-14, no AIM)', () => {
    expect(parseScan(']E06291041500213', { now })).toMatchObject({ ok: true, value: { symbology: 'ean-upc', kind: 'gtin', gtin: '06291041500213' } });
    expect(parseScan('6291041500213', { now })).toMatchObject({ ok: true, value: { gtin: '06291041500213' } });
    expect(parseScan(']E06291041500214', { now })).toMatchObject({ ok: false, error: { code: 'BAD_CHECK_DIGIT' } });
  });
});

describe('parseScan: each bad read gets its own code and an actionable message', () => {
  const bad = (raw: string, opts = {}) => {
    const r = parseScan(raw, { now, ...opts });
    if (r.ok) throw new Error(`expected an error for ${JSON.stringify(raw)}`);
    expect(r.error.message.length).toBeGreaterThan(20);
    return r.error.code;
  };
  it('empty scan', () => expect(bad('')).toBe('EMPTY_SCAN'));
  it('AIM identifier and nothing else', () => expect(bad(']d2')).toBe('EMPTY_SCAN'));
  it('scanner no-read strings, configurable', () => {
    expect(bad('NOREAD')).toBe('NO_READ');
    expect(bad('NR')).toBe('NO_READ');
    expect(bad('<NOREAD>', { noReadStrings: ['<NOREAD>'] })).toBe('NO_READ');
    expect(parseScan('NR', { now, noReadStrings: [] })).toMatchObject({ ok: false, error: { code: 'NOT_GS1_DATA' } });
  });
  it('control characters such as a CR/LF suffix', () => {
    expect(bad('0109506000134352\r\n')).toBe('CONTROL_CHARACTER');
    expect(bad('01095060\u000400134352')).toBe('CONTROL_CHARACTER');
  });
  it('wrong symbology (Code 39, plain Code 128, or not allowed at this station)', () => {
    expect(bad(']A0ABC')).toBe('WRONG_SYMBOLOGY');
    expect(bad(']C0ABC')).toBe('WRONG_SYMBOLOGY');
    expect(bad(']E06291041500213', { allowedSymbologies: ['gs1-datamatrix', 'qr'] })).toBe('WRONG_SYMBOLOGY');
  });
  it('bad check digit, unknown AI, too long, invalid date, missing separator', () => {
    expect(bad(']d20109506000134353')).toBe('BAD_CHECK_DIGIT');
    expect(bad(']d2010950600013435223')).toBe('UNKNOWN_AI');
    expect(bad(`]d2010950600013435221${'S'.repeat(21)}`)).toBe('VALUE_TOO_LONG');
    expect(bad(']d2010950600013435217251331')).toBe('INVALID_DATE');
    expect(bad(']d2010950600013435210B1221ABC', { expect: ['21'] })).toBe('MISSING_SEPARATOR');
  });
  it('a URL in a plain QR that is not a Digital Link', () => {
    expect(bad(']Q1https://example.com/about')).toBe('INVALID_DIGITAL_LINK');
    expect(bad(']Q1hello')).toBe('INVALID_DIGITAL_LINK');
  });
});
