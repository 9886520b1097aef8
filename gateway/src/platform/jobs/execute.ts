import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ResolvedJob } from './definition';
import { InvalidJobPayloadError, JobTimeoutError } from './errors';
import type { JobMetrics } from './metrics';
import { validatePayload } from './payload';

export type AttemptOutcome =
  | { ok: true; value: unknown }
  /** final: no attempt follows (attempts exhausted, or a payload that cannot become valid by retrying). */
  | { ok: false; error: Error; final: boolean };

export interface AttemptInput {
  jobId: string;
  /** 1-based. */
  attempt: number;
  /** The stored (JSON) payload; validated again here because the code may have changed since enqueue. */
  payload: unknown;
}

/**
 * Runs one attempt of a job: validation, timeout, logging and metrics. Both drivers call this, so a
 * job behaves the same embedded and on BullMQ; the drivers only decide where the job waits.
 */
export async function runAttempt(job: ResolvedJob, input: AttemptInput, deps: { log: Logger; metrics: JobMetrics }): Promise<AttemptOutcome> {
  const log = deps.log.child({ job: job.name, jobId: input.jobId, attempt: input.attempt });
  const started = performance.now();
  const finish = (outcome: AttemptOutcome): AttemptOutcome => {
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.duration.observe({ job: job.name, outcome: outcome.ok ? 'completed' : 'failed' }, seconds);
    if (outcome.ok) {
      deps.metrics.completed.inc({ job: job.name });
      log.debug({ seconds }, 'job completed');
    } else if (outcome.final) {
      deps.metrics.failed.inc({ job: job.name });
      log.error({ err: outcome.error, seconds }, 'job failed; dead-lettered');
    } else {
      deps.metrics.retried.inc({ job: job.name });
      log.warn({ err: outcome.error, seconds }, 'job attempt failed; will retry');
    }
    return outcome;
  };

  let payload: unknown;
  try {
    payload = validatePayload(job.def, input.payload);
  } catch (e) {
    if (e instanceof InvalidJobPayloadError) return finish({ ok: false, error: e, final: true });
    throw e;
  }

  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = job.def.handler(payload, { jobId: input.jobId, attempt: input.attempt, log, signal: abort.signal });
    const timeoutMs = job.timeoutMs;
    const value =
      timeoutMs === undefined
        ? await run
        : await Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                const err = new JobTimeoutError(job.name, timeoutMs);
                // Reject before aborting: a handler that settles on abort must not win the race.
                reject(err);
                abort.abort(err);
              }, timeoutMs);
            }),
          ]);
    return finish({ ok: true, value });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(`non-Error thrown: ${String(e)}`);
    return finish({ ok: false, error, final: input.attempt >= job.attempts });
  } finally {
    if (timer) clearTimeout(timer);
  }
}
