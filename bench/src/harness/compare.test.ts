import { atLeastRatioOfBaseline, below, formatPercent, observed, percentile, ratio } from './compare';

describe('ratio', () => {
  it('is the value over the baseline', () => {
    expect(ratio(600, 1200)).toBe(0.5);
  });
  it('is undefined when there is no baseline to divide by', () => {
    expect(ratio(5, 0)).toBeUndefined();
    expect(ratio(5, Number.NaN)).toBeUndefined();
    expect(ratio(Number.POSITIVE_INFINITY, 3)).toBeUndefined();
  });
});

describe('percentile', () => {
  const sample = [15, 20, 35, 40, 50];
  it('takes the nearest rank', () => {
    expect(percentile(sample, 30)).toBe(20);
    expect(percentile(sample, 40)).toBe(20);
    expect(percentile(sample, 50)).toBe(35);
    expect(percentile(sample, 100)).toBe(50);
    expect(percentile(sample, 0)).toBe(15);
  });
  it('does not depend on the order of the sample', () => {
    expect(percentile([50, 15, 40, 35, 20], 50)).toBe(35);
  });
  it('p99 of 1..100 is 99', () => {
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
  });
  it('is undefined for an empty sample and rejects p outside 0..100', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('targets', () => {
  const m = { name: 'x', metric: 'throughput', unit: 'req/s', baseline: { name: 'bare', value: 1000 } };
  it('meets a ratio target at exactly the ratio and misses just below it', () => {
    expect(atLeastRatioOfBaseline({ ...m, value: 500 }, 0.5)).toMatchObject({ ratio: 0.5, met: true, target: '>= 50% of baseline' });
    expect(atLeastRatioOfBaseline({ ...m, value: 499 }, 0.5).met).toBe(false);
  });
  it('misses a ratio target when the baseline is zero', () => {
    expect(atLeastRatioOfBaseline({ ...m, value: 10, baseline: { name: 'bare', value: 0 } }, 0.5)).toMatchObject({ ratio: undefined, met: false });
  });
  it('a ceiling is strict and still shows the baseline ratio', () => {
    const p99 = { name: 'x', metric: 'p99 latency', unit: 'ms', baseline: { name: 'bare', value: 5 } };
    expect(below({ ...p99, value: 19.9 }, 20)).toMatchObject({ met: true, target: '< 20 ms', ratio: 19.9 / 5 });
    expect(below({ ...p99, value: 20 }, 20).met).toBe(false);
    expect(below({ ...p99, value: Number.NaN }, 20).met).toBe(false);
  });
  it('an observed figure has no target and no verdict', () => {
    const r = observed({ name: 'x', metric: 'peak RSS', value: 300, unit: 'MiB', baseline: { name: 'bare', value: 100 } });
    expect(r.ratio).toBe(3);
    expect(r.target).toBeUndefined();
    expect(r.met).toBeUndefined();
  });
  it('formats a fraction as a percentage with one decimal at most', () => {
    expect(formatPercent(0.5)).toBe('50%');
    expect(formatPercent(0.63249)).toBe('63.2%');
  });
});
