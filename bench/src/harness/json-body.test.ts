import { jsonBodyOfSize } from './json-body';

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('jsonBodyOfSize', () => {
  it.each([200, 1000, 4096, 5123, 20_000, 100_000])('serialises to exactly %i bytes', (bytes) => {
    expect(size(jsonBodyOfSize(bytes))).toBe(bytes);
  });
  it('looks like a page of master data', () => {
    expect(jsonBodyOfSize(10_000)).toMatchObject({ items: expect.any(Array), total: expect.any(Number), limit: 50, offset: 100 });
  });
  it('returns the smallest page when asked for less than that', () => {
    const tiny = jsonBodyOfSize(10) as { items: unknown[] };
    expect(tiny.items).toHaveLength(0);
    expect(size(tiny)).toBeGreaterThan(10);
  });
});
