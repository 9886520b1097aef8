import { newSourceId, upPayload, validateUp } from '../contract';
import { parseConfig } from '../config/load';
import { ReadFramer } from './framer';
import { LineContexts } from './line-context';
import { ReadFilter } from './read-filter';
import { ReadHandler } from './read-handler';
import { makeRead } from '../simulators/scanner-simulator';
import * as fs from 'node:fs';
import * as path from 'node:path';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('read framing', () => {
  it.each([
    ['CR', 'A1\rB2\r'],
    ['LF', 'A1\nB2\n'],
    ['CRLF', 'A1\r\nB2\r\n'],
  ] as const)('cuts %s-terminated reads, even split across chunks', (term, stream) => {
    const f = new ReadFramer(term);
    const out = [...stream].flatMap((ch) => f.push(b(ch)));
    expect(out).toEqual(['A1', 'B2']);
  });

  it('keeps GS separators and leaves an unterminated read for the inter-byte timeout (terminator none)', () => {
    const f = new ReadFramer('none');
    expect(f.push(b(']C101095\u001d21X'))).toEqual([]);
    expect(f.flush()).toBe(']C101095\u001d21X');
    expect(f.flush()).toBeUndefined();
  });
});

describe('read filtering', () => {
  const filter = () => new ReadFilter({ prefix: '\u0002', suffix: '\u0003', noRead: ['NOREAD', 'NR'], repeatWindowMs: 500 });

  it('strips prefix and suffix and recognises no-read strings', () => {
    const f = filter();
    expect(f.classify('\u0002ABC\u0003', 0)).toEqual({ kind: 'read', raw: 'ABC' });
    expect(f.classify('\u0002NR\u0003', 10).kind).toBe('no_read');
  });

  it('suppresses the same code within the window, per scanner, but not after it or a different code', () => {
    const f = filter();
    expect(f.classify('X', 0).kind).toBe('read');
    expect(f.classify('X', 200).kind).toBe('repeat');
    expect(f.classify('Y', 300).kind).toBe('read');
    expect(f.classify('X', 400).kind).toBe('read');
    expect(f.classify('X', 1000).kind).toBe('read');
    expect(filter().classify('X', 1000).kind).toBe('read');
  });
});

describe('read handling and dispatch context', () => {
  const setup = () => {
    const contexts = new LineContexts();
    return { contexts, h: new ReadHandler({ orderPattern: '^ORD-[0-9]+$', closeCodes: ['CLOSE'] }, contexts) };
  };
  const item: { id: string; line: string; role: 'item' | 'context' } = { id: 'conv', line: 'dock', role: 'item' };
  const handheld = { id: 'hand', line: 'dock', role: 'context' as const };
  const read = (raw: string) => ({ kind: 'read' as const, raw });

  it('parses GS1-128, DataMatrix and Digital Link reads', () => {
    const { h } = setup();
    for (const kind of ['gs1-128', 'datamatrix', 'qr-digital-link'] as const) {
      const out = h.handle(item, read(makeRead(kind, 7)));
      expect(out.channel).toBe('scan');
      if (out.channel === 'scan') expect(out.body.parsed).toMatchObject({ gtin: expect.stringMatching(/^\d{14}$/), serial: 'S000000007', batch: 'B0001' });
    }
  });

  it('publishes a bad read as a rejected read with its reason, never drops it', () => {
    const { h } = setup();
    expect(h.handle(item, read(makeRead('garbage', 1)))).toMatchObject({ channel: 'reject', body: { scannerId: 'conv', code: expect.any(String) } });
    expect(h.handle(item, { kind: 'no_read', raw: 'NOREAD' })).toMatchObject({ channel: 'reject', body: { code: 'NO_READ' } });
  });

  it('binds case reads to the scanned order and pallet until each is closed', () => {
    const { h } = setup();
    const ctx = (raw: string, s = item) => {
      const o = h.handle(s, read(raw));
      return o.channel === 'scan' ? o.body.context : o.channel;
    };
    expect(ctx(makeRead('gs1-128', 1))).toBeUndefined();
    expect(ctx('ORD-1001')).toEqual({ orderId: 'ORD-1001' });
    const pallet = makeRead('sscc', 5);
    const sscc = pallet.slice(5);
    expect(ctx(pallet, handheld)).toEqual({ orderId: 'ORD-1001', sscc });
    expect(ctx(makeRead('gs1-128', 2))).toEqual({ orderId: 'ORD-1001', sscc });
    expect(ctx('CLOSE')).toEqual({ orderId: 'ORD-1001' });
    expect(ctx(makeRead('gs1-128', 3))).toEqual({ orderId: 'ORD-1001' });
    expect(ctx('CLOSE')).toBeUndefined();
    expect(ctx(makeRead('gs1-128', 4))).toBeUndefined();
  });

  it('an SSCC read on an item scanner is a case read, not a pallet context', () => {
    const { h } = setup();
    h.handle(item, read('ORD-9'));
    const out = h.handle(item, read(makeRead('sscc', 6)));
    expect(out).toMatchObject({ channel: 'scan', body: { context: { orderId: 'ORD-9' } } });
    expect(h.handle(item, read(makeRead('gs1-128', 1)))).toMatchObject({ body: { context: { orderId: 'ORD-9' } } });
  });
});

describe('example configs', () => {
  it.each(['warehouse-dispatch-line.yaml', 'factory-line.yaml'])('%s is valid', (file) => {
    const dir = path.join(__dirname, '..', '..', 'examples');
    const c = parseConfig(fs.readFileSync(path.join(dir, file), 'utf8'), 'yaml', dir);
    expect(c.scanners.length + c.opcua.length).toBeGreaterThan(0);
  });

  it('says what is wrong with an invalid config', () => {
    expect(() => parseConfig('siteId: "a b"\ndeviceId: x\n', 'yaml', '/')).toThrow(/siteId[\s\S]*mqtt/);
  });
});

describe('up payload envelope', () => {
  it('is exactly JSON.stringify of the envelope followed by the body, with a fresh UUIDv7 per payload', () => {
    const handler = new ReadHandler({ orderPattern: '^ORD-[0-9]+$', closeCodes: ['CLOSE'] }, new LineContexts());
    const out = handler.handle({ id: 's1', line: 'l1', role: 'item' }, { kind: 'read', raw: makeRead('gs1-128', 7) });
    if (out.channel === 'none') throw new Error('expected a scan');
    const now = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const a = upPayload('site1', 'pc1', 42, now, out.body);
    const b = upPayload('site1', 'pc1', 42, now, out.body);
    const parsed = JSON.parse(a) as { id: string };
    expect(a).toBe(JSON.stringify({ v: 1, id: parsed.id, deviceId: 'pc1', siteId: 'site1', seq: 42, ts: '2026-01-02T03:04:05.006Z', ...out.body }));
    expect(parsed.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parsed.id.slice(0, 13)).toBe(JSON.parse(b).id.slice(0, 13)); // same millisecond
    expect(JSON.parse(b).id).not.toBe(parsed.id);
    expect(validateUp('scan', a)).toEqual({ ok: true });
    const ids = new Set(Array.from({ length: 2000 }, () => newSourceId(now))); // spans several refills of the pool
    expect(ids.size).toBe(2000);
    const empty = upPayload('site1', 'pc1', 1, now, {});
    expect(empty).toBe(JSON.stringify({ v: 1, id: (JSON.parse(empty) as { id: string }).id, deviceId: 'pc1', siteId: 'site1', seq: 1, ts: '2026-01-02T03:04:05.006Z' }));
  });
});
