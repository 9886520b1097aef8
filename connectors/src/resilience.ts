import Bottleneck from 'bottleneck';
import CircuitBreaker from 'opossum';

export interface GuardOptions {
  /** Names the endpoint in errors and metrics. */
  name: string;
  breaker?: {
    /** Failure percentage in the rolling window that opens the circuit. Default 50. */
    errorThresholdPercentage?: number;
    /** Calls in the window before the percentage counts. Default 5. */
    volumeThreshold?: number;
    /** How long the circuit stays open before one trial call. Default 30 s. */
    resetTimeoutMs?: number;
    /** One call's time limit. Default 30 s. */
    timeoutMs?: number;
  };
  /** Rate limit of this endpoint (per process). */
  rateLimit?: { maxConcurrent?: number; minTimeMs?: number };
}

export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
  readonly code = 'CIRCUIT_OPEN';
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker (opossum) and a rate limiter (bottleneck) in front of one endpoint: calls wait for their turn,
 * and while the endpoint keeps failing they fail at once instead of piling up on it. The job runner's retries
 * with backoff then decide when to try again.
 */
export function createEndpointGuard(opts: GuardOptions) {
  const limiter = new Bottleneck({ maxConcurrent: opts.rateLimit?.maxConcurrent ?? 2, minTime: opts.rateLimit?.minTimeMs ?? 0 });
  const breaker = new CircuitBreaker(<T>(fn: () => Promise<T>) => limiter.schedule(fn), {
    name: opts.name,
    errorThresholdPercentage: opts.breaker?.errorThresholdPercentage ?? 50,
    volumeThreshold: opts.breaker?.volumeThreshold ?? 5,
    resetTimeout: opts.breaker?.resetTimeoutMs ?? 30_000,
    timeout: opts.breaker?.timeoutMs ?? 30_000,
    rollingCountTimeout: 60_000,
    rollingCountBuckets: 12,
  });
  return {
    name: opts.name,
    /** Runs one call to the endpoint through the limiter and the breaker. */
    async run<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return (await breaker.fire(fn)) as T;
      } catch (err) {
        if ((err as { code?: string }).code === 'EOPENBREAKER') throw new CircuitOpenError(`circuit to ${opts.name} is open after repeated failures`);
        if ((err as { code?: string }).code === 'ETIMEDOUT' && (err as Error).message.startsWith('Timed out')) throw new Error(`${opts.name} did not answer within ${opts.breaker?.timeoutMs ?? 30_000} ms`);
        throw err;
      }
    },
    state(): BreakerState {
      return breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed';
    },
    async close(): Promise<void> {
      breaker.shutdown();
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    },
  };
}

export type EndpointGuard = ReturnType<typeof createEndpointGuard>;
