import type { BenchResult } from '../types';
import { formatPercent } from './compare';

/**
 * A benchmark runs in a child process of its own and hands its results to the runner on one stdout line that
 * starts with this marker; everything else the child prints (its own table, warnings) is left for the reader.
 */
export const RESULTS_MARKER = '@@cradle-bench-results@@ ';

export function resultsLine(results: readonly BenchResult[]): string {
  return `${RESULTS_MARKER}${JSON.stringify(results)}`;
}

export class ResultsNotFoundError extends Error {
  override name = 'ResultsNotFoundError';
}

/** The results from the last marker line of a child's stdout; throws when there is none or it is malformed. */
export function parseResultsLine(stdout: string): BenchResult[] {
  const line = stdout
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(RESULTS_MARKER));
  if (line === undefined) throw new ResultsNotFoundError('no results line in the benchmark output');
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(RESULTS_MARKER.length));
  } catch (e) {
    throw new ResultsNotFoundError(`the results line is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every(isBenchResult)) {
    throw new ResultsNotFoundError('the results line is not a list of { name, metric, value, unit }');
  }
  return parsed;
}

function isBenchResult(v: unknown): v is BenchResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.name === 'string' && typeof r.metric === 'string' && typeof r.value === 'number' && typeof r.unit === 'string';
}

/** A figure at a precision a reader can compare at a glance: 12,345 / 98.7 / 4.32. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  // Counts and whole milliseconds stay whole: "0 failed", not "0.00".
  const digits = Number.isInteger(n) || abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatValue(value: number, unit: string): string {
  return unit === '' ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

export const COLUMNS = ['benchmark', 'metric', 'value', 'baseline', 'ratio', 'target', 'met'] as const;

/** One row of the report, as text, in COLUMNS order. */
export function resultRow(r: BenchResult): string[] {
  return [
    r.name,
    r.metric,
    formatValue(r.value, r.unit),
    r.baseline ? `${formatValue(r.baseline.value, r.unit)} (${r.baseline.name})` : '',
    r.ratio === undefined ? '' : formatPercent(r.ratio),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? '✔' : '✘',
  ];
}

/** The results as a plain-text table with aligned columns, one row per result. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = [[...COLUMNS], ...results.map(resultRow)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? '')].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join('\n');
}

/** Prints a standalone benchmark's table for the reader and its results line for the runner. */
export function printResults(results: readonly BenchResult[]): void {
  process.stdout.write(`${formatTable(results)}\n${resultsLine(results)}\n`);
}

/**
 * The `require.main === module` body of every benchmark file: run it, print, and exit non-zero on a crash
 * (a missed target is a finding, not a crash).
 */
export function runStandalone(run: () => Promise<BenchResult[]>): void {
  run().then(
    (results) => {
      printResults(results);
      process.exitCode = 0;
      // A handle left open by a library must not hang the runner; unref'd, so a clean exit is not delayed.
      setTimeout(() => process.exit(), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
