/**
 * One measured figure beside its baseline measured in the same run, so the ratio survives a noisy machine.
 * Every benchmark in ./benchmarks exports `run(): Promise<BenchResult[]>` as its default export.
 */
export interface BenchResult {
  /** e.g. "master-data read (GET /api/v1/skus, authenticated, paged)" */
  name: string;
  /** e.g. "throughput" | "p99 latency" | "peak RSS" */
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number } | undefined;
  /** value / baseline.value */
  ratio?: number | undefined;
  /** The target, stated for the reader, e.g. ">= 50% of baseline". */
  target?: string | undefined;
  /** Whether the target was met in this run. */
  met?: boolean | undefined;
}

export type Benchmark = () => Promise<BenchResult[]>;
