import type { Logger } from 'pino';
import type { z } from 'zod';

/**
 * A job is defined once, as data plus a handler, and runs unchanged on either driver
 * (in-process for the embedded start, BullMQ on Redis for the scaled deployment).
 */
export interface JobDefinition<P> {
  /** Stable name: the queue name on BullMQ, the metric label, the key for enqueue(). */
  name: string;
  /** Validates the payload on enqueue (nothing is stored if it fails) and again before each run. */
  schema: z.ZodType<P>;
  handler(payload: P, ctx: JobContext): Promise<unknown>;
  /** Total runs allowed, the first included, before the job is dead-lettered. Default 5. */
  attempts?: number;
  /** Wait before each retry. Default exponential from 1 s with 20 % jitter. */
  backoff?: BackoffPolicy;
  /** Jobs of this definition running at once, per worker process. Default 1. */
  concurrency?: number;
  /** An attempt that runs longer fails (and is retried); ctx.signal is aborted at that moment. */
  timeoutMs?: number;
  schedule?: JobSchedule<P>;
}

export interface BackoffPolicy {
  type: 'exponential' | 'fixed';
  /** fixed: every wait; exponential: the first wait, doubled for each further retry. */
  delayMs: number;
  /** 0..1: the share of the wait that is random, so retries of many jobs do not stampede together. */
  jitter?: number;
}

export interface JobSchedule<P> {
  everyMs?: number;
  /** Five fields (minute hour day-of-month month day-of-week), in the process's local time. */
  cron?: string;
  /** The payload each scheduled run gets; validated at register(). Default `{}`. */
  payload?: P;
}

export interface JobContext {
  jobId: string;
  /** 1 for the first run, 2 for the first retry, ... */
  attempt: number;
  log: Logger;
  /** Aborted when the attempt passes the definition's timeoutMs; long handlers should pass it on (fetch, db). */
  signal: AbortSignal;
}

/** Identity function that lets TypeScript infer the payload type from the schema. */
export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  return def;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF: BackoffPolicy = { type: 'exponential', delayMs: 1000, jitter: 0.2 };
export const DEFAULT_CONCURRENCY = 1;

/** Finished jobs kept for stats, idempotency and inspection; older ones are dropped (both drivers). */
export interface Retention {
  completed: number;
  failed: number;
}
export const DEFAULT_RETENTION: Retention = { completed: 1000, failed: 10000 };

/** A definition whose defaults are filled in, checked once at register(). */
export interface ResolvedJob<P = unknown> {
  def: JobDefinition<P>;
  name: string;
  attempts: number;
  backoff: BackoffPolicy;
  concurrency: number;
  timeoutMs: number | undefined;
}
