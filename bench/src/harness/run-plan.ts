import path from 'node:path';
import type { BenchResult } from '../types';

/** Benchmark names (file names without .ts) among the files of bench/src/benchmarks, sorted; tests are not benchmarks. */
export function benchmarkNames(files: readonly string[]): string[] {
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.basename(f, '.ts'))
    .sort();
}

export class UnknownBenchmarkError extends Error {
  override name = 'UnknownBenchmarkError';
}

/** The benchmarks to run: all of them, or those named (in the order given, each once). */
export function selectBenchmarks(available: readonly string[], requested: readonly string[]): string[] {
  if (requested.length === 0) return [...available];
  const unknown = requested.filter((r) => !available.includes(r));
  if (unknown.length > 0) {
    throw new UnknownBenchmarkError(`no benchmark named ${unknown.join(', ')}; there are: ${available.join(', ') || '(none)'}`);
  }
  return [...new Set(requested)];
}

/** bench/results/<timestamp>.json, with a timestamp that sorts and is safe in any file system: 2026-05-01T09-30-00Z. */
export function resultsFileName(at: Date): string {
  return `${at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-')}.json`;
}

export interface BenchmarkOutcome {
  benchmark: string;
  ok: boolean;
  durationMs: number;
  results: BenchResult[];
  error?: string | undefined;
}

export interface RunRecord {
  startedAt: string;
  node: string;
  platform: string;
  cpus: number;
  env: Record<string, string>;
  outcomes: BenchmarkOutcome[];
}

/** The runner's exit code: a missed target is a finding (0); a benchmark that crashed is a failure (1). */
export function exitCodeFor(outcomes: readonly BenchmarkOutcome[]): number {
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

/** A setting as it may be written to a results file: a URL's password replaced by ***. */
export function redactUrlPassword(value: string): string {
  return value.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1***@');
}
