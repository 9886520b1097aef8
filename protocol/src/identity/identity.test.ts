import { parseDigitalLink } from '../digital-link/digital-link';
import {
  digitalLinkToEpcUrn,
  epcUrnToDigitalLink,
  lgtinToEpcUrn,
  parseEpcUrn,
  sglnToEpcUrn,
  sgtinToEpcUrn,
  ssccToEpcUrn,
} from './epc-urn';
import { generateSerial, generateSscc, serialLength, SERIAL_ALPHABETS } from './serials';
import { parseElementString } from '../gs1/element-string';
import { isValidSscc } from '../gs1/check-digit';

describe('EPC URNs (GS1 EPC Tag Data Standard examples)', () => {
  it('SGTIN: GTIN 80614141123458 serial 6789 ↔ urn:epc:id:sgtin:0614141.812345.6789', () => {
    expect(sgtinToEpcUrn('80614141123458', '6789')).toEqual({ ok: true, value: 'urn:epc:id:sgtin:0614141.812345.6789' });
    expect(parseEpcUrn('urn:epc:id:sgtin:0614141.812345.6789')).toEqual({ ok: true, value: { scheme: 'sgtin', gtin: '80614141123458', serial: '6789' } });
  });
  it('SSCC: 106141412345678908 ↔ urn:epc:id:sscc:0614141.1234567890', () => {
    expect(ssccToEpcUrn('106141412345678908')).toEqual({ ok: true, value: 'urn:epc:id:sscc:0614141.1234567890' });
    expect(epcUrnToDigitalLink('urn:epc:id:sscc:0614141.1234567890')).toEqual({ ok: true, value: 'https://id.gs1.org/00/106141412345678908' });
  });
  it('SGLN: GLN 0614141123452 extension 5678 ↔ urn:epc:id:sgln:0614141.12345.5678; extension 0 means none', () => {
    expect(sglnToEpcUrn('0614141123452', '5678')).toEqual({ ok: true, value: 'urn:epc:id:sgln:0614141.12345.5678' });
    expect(epcUrnToDigitalLink('urn:epc:id:sgln:0614141.12345.5678')).toEqual({ ok: true, value: 'https://id.gs1.org/414/0614141123452/254/5678' });
    expect(epcUrnToDigitalLink('urn:epc:id:sgln:0614141.12345.0')).toEqual({ ok: true, value: 'https://id.gs1.org/414/0614141123452' });
  });
  it('LGTIN class URN and escaped serial characters', () => {
    expect(lgtinToEpcUrn('80614141123458', 'L/1')).toEqual({ ok: true, value: 'urn:epc:class:lgtin:0614141.812345.L%2F1' });
    expect(epcUrnToDigitalLink('urn:epc:class:lgtin:0614141.812345.L%2F1')).toEqual({ ok: true, value: 'https://id.gs1.org/01/80614141123458/10/L%2F1' });
  });
  it('uses the company prefix length it is given (default 7, for the brand’s 690-699 prefixes)', () => {
    const dl = 'https://id.gs1.org/01/06901234567892/21/ABC';
    expect(digitalLinkToEpcUrn(dl)).toEqual({ ok: true, value: 'urn:epc:id:sgtin:6901234.056789.ABC' });
    expect(digitalLinkToEpcUrn(dl, { companyPrefixLength: 9 })).toEqual({ ok: true, value: 'urn:epc:id:sgtin:690123456.0789.ABC' });
    expect(digitalLinkToEpcUrn(dl, { companyPrefixLength: 13 })).toMatchObject({ ok: false, error: { code: 'INVALID_EPC_URI' } });
  });
  it('round-trips Digital Link → URN → Digital Link for every prefix length', () => {
    for (let l = 6; l <= 12; l++) {
      for (const dl of ['https://id.gs1.org/01/06901234567892/21/A%2Fb', 'https://id.gs1.org/00/069012345678901238', 'https://id.gs1.org/414/6901234567892/254/7']) {
        const urn = digitalLinkToEpcUrn(dl, { companyPrefixLength: l });
        expect(urn.ok && epcUrnToDigitalLink(urn.value)).toEqual({ ok: true, value: dl });
      }
    }
  });
  it('rejects malformed URNs', () => {
    for (const bad of ['urn:epc:id:sgtin:0614141.81234.6789', 'urn:epc:id:sgtin:0614141.812345', 'urn:epc:class:sgtin:0614141.812345.1', 'urn:epc:id:sscc:0614141.123']) {
      expect(parseEpcUrn(bad)).toMatchObject({ ok: false, error: { code: 'INVALID_EPC_URI' } });
    }
  });
});

describe('serial generation', () => {
  it('gives ≥ 64 bits of entropy within AI 21 (character set 82, at most 20 characters)', () => {
    for (const alphabet of Object.keys(SERIAL_ALPHABETS) as (keyof typeof SERIAL_ALPHABETS)[]) {
      const n = serialLength(alphabet);
      expect(n * Math.log2(SERIAL_ALPHABETS[alphabet].length)).toBeGreaterThanOrEqual(64);
      const s = generateSerial({ alphabet });
      expect(s).toHaveLength(n);
      expect(parseElementString(`0109506000134352${'21'}${s}`)).toMatchObject({ ok: true, value: { elements: { '21': s } } });
    }
  });
  it('does not repeat and uses the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 5000 }, () => generateSerial()));
    expect(seen.size).toBe(5000);
    const chars = new Set([...seen].join(''));
    expect(chars.size).toBe(SERIAL_ALPHABETS.alphanumeric.length);
  });
  it('rejects biased bytes (rejection sampling) and draws from the injected source', () => {
    // 248..255 would bias a 62-symbol alphabet: they must be skipped, never mapped.
    const bytes = [255, 250, 248, 0, 61, 62];
    let i = 0;
    const s = generateSerial({ randomBytes: (n) => Uint8Array.from({ length: n }, () => bytes[i++ % bytes.length] ?? 0) });
    expect(s.startsWith('0z00z0')).toBe(true);
  });
});

describe('SSCC generation', () => {
  it('builds a valid SSCC from company prefix and serial reference', () => {
    expect(generateSscc('0614141', '123456789', 1)).toEqual({ ok: true, value: '106141411234567897' });
    const r = generateSscc('6901234', 42);
    expect(r.ok && isValidSscc(r.value) && r.value.startsWith('06901234000000042')).toBe(true);
    expect(r.ok && parseDigitalLink(`https://id.gs1.org/00/${r.value}`).ok).toBe(true);
  });
  it('refuses a serial reference that does not fit', () => {
    expect(generateSscc('6901234', '1234567890')).toMatchObject({ ok: false, error: { code: 'VALUE_TOO_LONG' } });
    expect(generateSscc('69X', 1)).toMatchObject({ ok: false, error: { code: 'INVALID_VALUE' } });
  });
});
