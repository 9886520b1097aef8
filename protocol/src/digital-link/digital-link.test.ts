import fc from 'fast-check';
import { aiSpec } from '../gs1/ai-table';
import { GS } from '../gs1/element-string';
import { aiValue, CSET82 } from '../testing/ai-values';
import { buildDigitalLink, digitalLinkToElementString, elementStringToDigitalLink, parseDigitalLink } from './digital-link';

const now = () => Date.UTC(2025, 5, 1);

describe('GS1 Digital Link: parse', () => {
  it('parses the GS1 Digital Link standard example with qualifiers, percent-encoding and a data attribute', () => {
    const r = parseDigitalLink('https://id.gs1.org/01/09520123456788/22/2A/10/ABC%2F123/21/12345?17=180426', { now });
    expect(r).toEqual({
      ok: true,
      value: {
        origin: 'https://id.gs1.org',
        stem: '',
        primaryKey: { ai: '01', value: '09520123456788' },
        qualifiers: [
          { ai: '22', value: '2A' },
          { ai: '10', value: 'ABC/123' },
          { ai: '21', value: '12345' },
        ],
        attributes: { '17': '180426' },
        otherParams: {},
        elements: { '01': '09520123456788', '22': '2A', '10': 'ABC/123', '21': '12345', '17': '180426' },
      },
    });
  });

  it('keeps a custom host, a path stem and non-AI query parameters', () => {
    const r = parseDigitalLink('https://qr.brand.example/c/01/9520123456788/21/S1?linkType=gs1:pip&17=270400', { now });
    expect(r).toMatchObject({
      ok: true,
      value: { origin: 'https://qr.brand.example', stem: '/c', elements: { '01': '09520123456788', '21': 'S1', '17': '270400' }, otherParams: { linkType: 'gs1:pip' } },
    });
  });

  it('converts to element strings and back (SSCC, GLN with extension)', () => {
    expect(digitalLinkToElementString('https://id.gs1.org/00/106141412345678908')).toEqual({ ok: true, value: '00106141412345678908' });
    expect(digitalLinkToElementString('https://id.gs1.org/414/0614141123452/254/A%2F1', { format: 'hri' })).toEqual({ ok: true, value: '(414)0614141123452(254)A/1' });
    expect(elementStringToDigitalLink(`0109520123456788172604${'30'}10ABC&1${GS}21X/Y`, { now })).toEqual({
      ok: true,
      value: 'https://id.gs1.org/01/09520123456788/10/ABC%261/21/X%2FY?17=260430',
    });
  });

  it.each([
    ['qualifiers out of order (21 before 10)', 'https://id.gs1.org/01/09520123456788/21/1/10/A', 'INVALID_DIGITAL_LINK'],
    ['serial in the query', 'https://id.gs1.org/01/09520123456788?21=123', 'INVALID_DIGITAL_LINK'],
    ['a key in the query', 'https://id.gs1.org/01/09520123456788?00=106141412345678908', 'INVALID_DIGITAL_LINK'],
    ['bad GTIN check digit', 'https://id.gs1.org/01/09520123456789', 'BAD_CHECK_DIGIT'],
    ['no key', 'https://id.gs1.org/about', 'INVALID_DIGITAL_LINK'],
    ['broken percent-encoding', 'https://id.gs1.org/01/09520123456788/10/%E0%A4%A', 'INVALID_DIGITAL_LINK'],
    ['invalid date attribute', 'https://id.gs1.org/01/09520123456788?17=181332', 'INVALID_DATE'],
    ['unknown numeric parameter', 'https://id.gs1.org/01/09520123456788?2399=1', 'UNKNOWN_AI'],
    ['not a URL', 'id.gs1.org/01/09520123456788', 'INVALID_DIGITAL_LINK'],
  ])('rejects %s', (_n, uri, code) => {
    expect(parseDigitalLink(uri, { now })).toMatchObject({ ok: false, error: { code } });
  });
});

describe('GS1 Digital Link: build', () => {
  it('puts the key and qualifiers in the path in 22 → 10 → 21 order, attributes sorted in the query', () => {
    expect(buildDigitalLink({ '17': '270400', '21': 'S?1', '10': 'L1', '01': '9520123456788', '15': '270300' })).toEqual({
      ok: true,
      value: 'https://id.gs1.org/01/09520123456788/10/L1/21/S%3F1?15=270300&17=270400',
    });
    expect(buildDigitalLink({ '01': '09520123456788' }, { origin: 'https://qr.brand.example', stem: '/c/' })).toEqual({
      ok: true,
      value: 'https://qr.brand.example/c/01/09520123456788',
    });
  });

  it('refuses what a Digital Link cannot carry', () => {
    expect(buildDigitalLink({ '10': 'A' })).toMatchObject({ ok: false, error: { code: 'INVALID_DIGITAL_LINK' } });
    expect(buildDigitalLink({ '01': '09520123456788', '8200': 'https://x' })).toMatchObject({ ok: false });
  });

  it('round-trips GTIN + qualifiers + attributes with any CSET 82 characters (property)', () => {
    const x20 = fc.array(fc.constantFrom(...CSET82.split('')), { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
    const spec = (ai: string) => aiSpec(ai)!;
    const arb = fc.record(
      { '01': aiValue(spec('01')), '22': x20, '10': x20, '21': x20, '17': aiValue(spec('17')), '3103': aiValue(spec('3103')), '240': aiValue(spec('240')) },
      { requiredKeys: ['01'] },
    );
    fc.assert(
      fc.property(arb, (els) => {
        const uri = buildDigitalLink(els as Record<string, string>, { now });
        expect(uri.ok).toBe(true);
        const back = uri.ok && parseDigitalLink(uri.value, { now, checkAssociations: false });
        expect(back && back.ok && back.value.elements).toEqual(els);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary URL-ish input (property)', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string(), (url, junk) => {
        const r = parseDigitalLink(url + junk);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
