import type { Result } from 'autocannon';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  headers?: Record<string, string>;
  body?: string;
  /**
   * Bodies to send in turn instead of `body`; `[<id>]` in a body becomes a fresh unique id per request (for
   * idempotency keys, so every request is new work).
   */
  bodies?: string[];
  connections: number;
  durationSec: number;
  /** An unmeasured run first, so the JIT and caches are warm (default 0). */
  warmupSec?: number;
  /** Per-request timeout in seconds (default 10). */
  timeoutSec?: number;
  pipelining?: number;
}

export interface LoadSummary {
  requestsPerSec: number;
  /** Milliseconds. */
  latency: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  durationSec: number;
  bytesPerSec: number;
}

/** The figures a benchmark reports, from autocannon's result: all responses over the elapsed time. */
export function summariseAutocannon(r: Pick<Result, 'requests' | 'latency' | 'non2xx' | 'errors' | 'duration' | 'throughput'>): LoadSummary {
  const durationSec = r.duration > 0 ? r.duration : Number.NaN;
  return {
    requestsPerSec: r.requests.total / durationSec,
    latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    durationSec: r.duration,
    bytesPerSec: r.throughput.total / durationSec,
  };
}

/** The marker the load worker prints its summary behind, on one stdout line. */
export const LOAD_MARKER = '@@cradle-load-summary@@ ';
/** The environment variable that carries the LoadOptions (JSON) to the load worker. */
export const LOAD_OPTIONS_ENV = 'CRADLE_BENCH_LOAD';
