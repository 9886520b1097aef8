import { parseScan } from '../gs1/scan';
import { GS } from '../gs1/element-string';
import { SCAN_ERROR_CODES } from '../gs1/scan-error';
import { newSourceId, sourceIdTime, UUID_V7 } from './source-id';
import { parseTopic, topicFilter, topics } from './topics';
import fc from 'fast-check';
import { parsePayload, scanMessageSchema, scanParsedFields, type ScanMessage } from './payloads';

describe('MQTT topics (cradle/v1/{siteId}/{deviceId}/{channel})', () => {
  it('builds and parses every channel', () => {
    for (const channel of ['scan', 'reject', 'reading', 'production', 'status', 'command'] as const) {
      const t = topics[channel]('plant-sh_01', 'scanner-07');
      expect(t).toEqual({ ok: true, value: `cradle/v1/plant-sh_01/scanner-07/${channel}` });
      expect(t.ok && parseTopic(t.value)).toEqual({ ok: true, value: { siteId: 'plant-sh_01', deviceId: 'scanner-07', channel } });
    }
  });
  it('builds subscription filters, shared ones included', () => {
    expect(topicFilter('scan')).toEqual({ ok: true, value: 'cradle/v1/+/+/scan' });
    expect(topicFilter('+', { siteId: 'S1' })).toEqual({ ok: true, value: 'cradle/v1/S1/+/+' });
    expect(topicFilter('reading', { shareGroup: 'gateway' })).toEqual({ ok: true, value: '$share/gateway/cradle/v1/+/+/reading' });
  });
  it('rejects ids and topics outside the contract', () => {
    expect(topics.scan('site/1', 'd')).toMatchObject({ ok: false, error: { code: 'INVALID_ID' } });
    expect(topics.scan('s', 'x'.repeat(65))).toMatchObject({ ok: false, error: { code: 'INVALID_ID' } });
    expect(topics.scan('s', '+')).toMatchObject({ ok: false, error: { code: 'INVALID_ID' } });
    for (const bad of ['cradle/v2/s/d/scan', 'cradle/v1/s/d/other', 'cradle/v1/s/d', 'cradle/v1/s/d/scan/x', 'cradle/v1/+/d/scan']) {
      expect(parseTopic(bad).ok).toBe(false);
    }
  });
});

describe('source ids (UUIDv7)', () => {
  it('carries the clock it is given and random bits', () => {
    const t = Date.UTC(2025, 0, 31, 8, 15, 0, 123);
    const a = newSourceId({ now: () => t });
    expect(a).toMatch(UUID_V7);
    expect(sourceIdTime(a)).toBe(t);
    expect(newSourceId({ now: () => t })).not.toBe(a);
    expect(newSourceId({ now: () => t, randomBytes: (n) => new Uint8Array(n).fill(0xff) })).toBe(`${Date.UTC(2025, 0, 31, 8, 15, 0, 123).toString(16).padStart(12, '0').replace(/^(.{8})/, '$1-')}-7fff-bfff-ffffffffffff`);
  });
  it('sorts by time', () => {
    const ids = [3, 1, 2].map((s) => newSourceId({ now: () => s * 1000 }));
    expect([...ids].sort().map((i) => sourceIdTime(i))).toEqual([1000, 2000, 3000]);
  });
});

describe('scan payloads: the compiled check against zod', () => {
  // parsePayload takes a scan that the compiled check (scan-fast-check.ts) accepts as it is; whatever it says must be
  // what zod says: the same verdict, and for an accepted scan the same message (unknown keys gone).
  const good = {
    v: 1, id: newSourceId(), siteId: 'S1', deviceId: 'D1', seq: 7, ts: '2025-01-31T08:15:00.123Z', scannerId: 'SC1',
    raw: ']Q1https://id.gs1.org/01/09506000134352/10/B1/21/S1', symbology: 'qr', digitalLink: 'https://id.gs1.org/01/09506000134352/10/B1/21/S1',
    parsed: { gtin: '09506000134352', serial: 'S1', batch: 'B1', expiry: '2027-04-30', sscc: '095060001343520001', gln: '9506000134352', elements: { '01': '09506000134352', '10': 'B1', '21': 'S1' } },
    context: { orderId: 'SO-1', sscc: '095060001343520001' },
  };
  const oddValue = fc.oneof(
    fc.constantFrom<unknown>(null, undefined, 0, 1, 2, -1, 1.5, 2 ** 53, '', 'x', ' ', true, [], {}, '09506000134351', '09506000134352', '2025-01-31', '2025-01-31T08:15:00Z', '2025-1-31T08:15:00.123Z', 'not a url', 'https://id.gs1.org/01/1', '123456789012345678', '12345678901234567', 'a b', 'S1/x', 'x'.repeat(65), '0190-0000-7000-8000-000000000000', '01944f6e-1f2b-7c3d-8e4f-5a6b7c8d9e0f', '01944F6E-1F2B-7C3D-8E4F-5A6B7C8D9E0F'),
    fc.string({ maxLength: 8 }),
    fc.integer(),
    fc.double(),
  );
  const paths: (string | undefined)[][] = [
    ['v'], ['id'], ['siteId'], ['deviceId'], ['seq'], ['ts'], ['scannerId'], ['raw'], ['symbology'], ['digitalLink'], ['parsed'], ['context'], ['extra'],
    ['parsed', 'gtin'], ['parsed', 'serial'], ['parsed', 'batch'], ['parsed', 'expiry'], ['parsed', 'sscc'], ['parsed', 'gln'], ['parsed', 'elements'], ['parsed', 'extra'],
    ['parsed', 'elements', '01'], ['parsed', 'elements', '1'], ['parsed', 'elements', '12345'], ['parsed', 'elements', 'ab'],
    ['context', 'orderId'], ['context', 'sscc'], ['context', 'extra'],
  ];
  const change = fc.record({ path: fc.constantFrom(...paths), value: oddValue, drop: fc.boolean() });
  it('agrees with zod on the verdict and the message, for scans changed anywhere', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 4 }), (changes) => {
        const msg = structuredClone(good) as Record<string, unknown>;
        for (const c of changes) {
          let at: Record<string, unknown> | undefined = msg;
          for (const k of c.path.slice(0, -1)) at = at && typeof at[k!] === 'object' && at[k!] !== null ? (at[k!] as Record<string, unknown>) : undefined;
          if (!at || Array.isArray(at)) continue;
          const key = c.path[c.path.length - 1]!;
          if (c.drop) delete at[key];
          else at[key] = structuredClone(c.value);
        }
        const text = JSON.stringify(msg);
        const byZod = scanMessageSchema.safeParse(JSON.parse(text));
        const ours = parsePayload('scan', text);
        expect(ours.ok).toBe(byZod.success);
        if (ours.ok && byZod.success) expect(ours.value).toEqual(byZod.data);
      }),
      { numRuns: 3000 },
    );
  });
  it('removes unknown keys as zod does, and refuses a GTIN with a wrong check digit and a malformed Digital Link', () => {
    const r = parsePayload('scan', JSON.stringify({ ...good, extra: 1, parsed: { ...good.parsed, extra: 2 }, context: { ...good.context, extra: 3 } }));
    expect(r).toEqual({ ok: true, value: good });
    expect(parsePayload('scan', JSON.stringify({ ...good, parsed: { ...good.parsed, gtin: '09506000134351' } }))).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', issues: [{ path: 'parsed.gtin', message: 'gtin must be a valid GTIN' }] } });
    expect(parsePayload('scan', JSON.stringify({ ...good, digitalLink: 'not a url' }))).toMatchObject({ ok: false, error: { issues: [{ path: 'digitalLink' }] } });
  });
});

describe('payload schemas', () => {
  const envelope = { v: 1, id: newSourceId(), siteId: 'S1', deviceId: 'D1', seq: 1, ts: '2025-01-31T08:15:00.123Z' } as const;
  it('accepts a scan built from parseScan and keeps the raw read with its GS', () => {
    const raw = `]d2010950600013435217270400${'10'}B1${GS}21S1`;
    const scan = parseScan(raw);
    if (!scan.ok) throw new Error('fixture');
    const msg: ScanMessage = { ...envelope, scannerId: 'SC1', raw, symbology: scan.value.symbology, parsed: scanParsedFields(scan.value), context: { orderId: 'SO-1' } };
    const r = parsePayload('scan', JSON.stringify(msg));
    expect(r).toEqual({ ok: true, value: msg });
    expect(r.ok && r.value.parsed).toEqual({ gtin: '09506000134352', serial: 'S1', batch: 'B1', expiry: '2027-04-30', elements: { '01': '09506000134352', '17': '270400', '10': 'B1', '21': 'S1' } });
  });
  it('accepts every other channel', () => {
    expect(parsePayload('reject', { ...envelope, scannerId: 'SC1', raw: 'NOREAD', code: 'NO_READ', message: 'm' }).ok).toBe(true);
    expect(
      parsePayload('reading', { ...envelope, source: 'ns=2;s=Steriliser1.Temp', name: 'sterilisation_temperature', value: 121.4, unit: 'Cel', quality: 'good', batch: 'B1', outOfLimits: false, limits: { min: 121, max: 124 } }).ok,
    ).toBe(true);
    expect(parsePayload('production', { ...envelope, kind: 'batch_started', batch: 'B1', gtin: '09506000134352', productionDate: '2025-01-31' }).ok).toBe(true);
    expect(parsePayload('status', { ...envelope, state: 'offline' }).ok).toBe(true);
    expect(parsePayload('command', { v: 1, id: envelope.id, ts: envelope.ts, command: 'set_order', args: { orderId: 'SO-1' } }).ok).toBe(true);
  });
  it('rejects what breaks the envelope contract, saying where', () => {
    const bad = (patch: object) => parsePayload('status', { ...envelope, state: 'online', ...patch });
    expect(bad({ v: 2 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(bad({ seq: 0 })).toMatchObject({ ok: false, error: { issues: [{ path: 'seq' }] } });
    expect(bad({ ts: '2025-01-31T08:15:00Z' })).toMatchObject({ ok: false, error: { issues: [{ path: 'ts' }] } });
    expect(bad({ id: '3b241101-e2bb-4255-8caf-4136c566a962' })).toMatchObject({ ok: false, error: { issues: [{ path: 'id' }] } }); // v4, not v7
    expect(parsePayload('reject', { ...envelope, scannerId: 'S', raw: '', code: 'SOMETHING', message: '' }).ok).toBe(false);
    expect(parsePayload('reading', { ...envelope, source: 's', name: 'n', value: Number.NaN, unit: 'u', quality: 'good' }).ok).toBe(false);
    expect(parsePayload('scan', '{not json')).toMatchObject({ ok: false, error: { code: 'INVALID_JSON' } });
  });
  it('lists every scan error code in the reject schema', () => {
    for (const code of SCAN_ERROR_CODES) {
      expect(parsePayload('reject', { ...envelope, scannerId: 'S', raw: 'x', code, message: 'm' }).ok).toBe(true);
    }
  });
});
