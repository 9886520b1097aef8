import type { BenchResult } from '../types';

/** value / baseline, or undefined when the baseline is zero or not a finite number (nothing to compare against). */
export function ratio(value: number, baseline: number): number | undefined {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return undefined;
  return value / baseline;
}

/** The nearest-rank percentile (p in 0..100) of a sample; undefined for an empty sample. */
export function percentile(sample: readonly number[], p: number): number | undefined {
  if (sample.length === 0) return undefined;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

interface Measured {
  name: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number } | undefined;
}

/** A result whose target is "at least `minRatio` of the baseline" (e.g. throughput >= 50% of bare Express). */
export function atLeastRatioOfBaseline(m: Measured & { baseline: { name: string; value: number } }, minRatio: number): BenchResult {
  const r = ratio(m.value, m.baseline.value);
  return {
    ...m,
    ratio: r,
    target: `>= ${formatPercent(minRatio)} of baseline`,
    met: r !== undefined && r >= minRatio,
  };
}

/** A result whose target is an absolute ceiling (e.g. p99 < 20 ms); the baseline, if any, is shown beside it. */
export function below(m: Measured, limit: number): BenchResult {
  return {
    ...m,
    ratio: m.baseline ? ratio(m.value, m.baseline.value) : undefined,
    target: `< ${limit} ${m.unit}`,
    met: Number.isFinite(m.value) && m.value < limit,
  };
}

/** A plain figure with an optional baseline and no target (e.g. peak RSS). */
export function observed(m: Measured): BenchResult {
  return { ...m, ratio: m.baseline ? ratio(m.value, m.baseline.value) : undefined };
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}
