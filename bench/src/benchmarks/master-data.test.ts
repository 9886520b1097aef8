import { masterDataResults } from './master-data';

const load = (rps: number, p99: number, failed = 0) => ({
  requestsPerSec: rps,
  latency: { p50: p99 / 3, p90: p99 / 2, p99, max: p99 * 2 },
  requests: rps * 10,
  non2xx: failed,
  errors: 0,
  durationSec: 10,
  bytesPerSec: 0,
});
const page = { bytes: 5123, items: 50 };
const MiB = 1024 * 1024;

describe('master-data results', () => {
  it('compares throughput and p99 with the bare Express baseline and judges both targets', () => {
    const rows = masterDataResults('pglite', { load: load(3000, 12), peakRss: 300 * MiB, page }, { load: load(5000, 6), peakRss: 100 * MiB });
    const by = Object.fromEntries(rows.map((r) => [r.metric, r]));
    expect(by.throughput).toMatchObject({ value: 3000, ratio: 0.6, met: true, baseline: { name: 'bare Express 5, 5123 B JSON', value: 5000 } });
    expect(by['p99 latency']).toMatchObject({ value: 12, met: true, baseline: { value: 6 }, ratio: 2 });
    expect(by['failed requests']).toMatchObject({ value: 0, met: true });
    expect(by['peak RSS']).toMatchObject({ value: 300, unit: 'MiB', ratio: 3 });
    expect(by['peak RSS']!.met).toBeUndefined();
  });
  it('misses the targets below half the baseline and at 20 ms p99', () => {
    const rows = masterDataResults('postgres', { load: load(2400, 20), peakRss: undefined, page }, { load: load(5000, 6), peakRss: 1 });
    const by = Object.fromEntries(rows.map((r) => [r.metric, r]));
    expect(by.throughput!.met).toBe(false);
    expect(by['p99 latency']!.met).toBe(false);
    expect(by['peak RSS']).toBeUndefined();
  });
  it('does not count failed requests as throughput', () => {
    const rows = masterDataResults('pglite', { load: load(9000, 2, 90_000), peakRss: 1, page }, { load: load(5000, 6), peakRss: 1 });
    const by = Object.fromEntries(rows.map((r) => [r.metric, r]));
    expect(by.throughput!.met).toBe(false);
    expect(by['failed requests']).toMatchObject({ value: 90_000, met: false });
  });
});
