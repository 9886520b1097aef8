import type { JobDefinition } from './definition';

export interface EnqueueOptions {
  /**
   * Idempotency key: while a job with this id exists (waiting, running, kept as completed, or
   * dead-lettered), enqueueing it again is a no-op. Derive it from the business key
   * (`erp-order-${orderId}`). Not an integer, no ":". Default: a random UUID.
   */
  jobId?: string;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
}

/** A job that exhausted its attempts (or whose payload no longer validates) and waits for a human. */
export interface FailedJob {
  name: string;
  jobId: string;
  /** The payload as stored (its JSON form). */
  payload: unknown;
  /** The last attempt's error message. */
  error: string;
  /** Attempts made. */
  attempts: number;
  failedAt: Date;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  /** Kept completed jobs (the runner's retention), not an all-time total: see the metrics for that. */
  completed: number;
  /** Dead-lettered jobs. */
  failed: number;
  /** Waiting for a delay, a retry's backoff, or a schedule's next run. */
  delayed: number;
}

/** Runs named background jobs; the in-process and BullMQ drivers implement it with the same semantics. */
export interface JobRunner {
  readonly driver: 'in-process' | 'bullmq';
  /** Adds a definition. Registering after start() starts its worker and schedule at once. */
  register<P>(def: JobDefinition<P>): void;
  /**
   * Validates and stores a job. Throws UnknownJobError, InvalidJobPayloadError or InvalidJobIdError,
   * having stored nothing. Jobs enqueued before start() wait for it.
   */
  enqueue<P>(job: JobDefinition<P>, payload: P, opts?: EnqueueOptions): Promise<{ jobId: string }>;
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<{ jobId: string }>;
  /** Starts the workers (where this process runs them) and the schedules. */
  start(): Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
  /** Dead-lettered jobs, oldest first; of one job name when given. */
  failed(name?: string): Promise<FailedJob[]>;
  /** Replays a dead-lettered job with a fresh set of attempts. Throws JobNotFailedError if there is none. */
  retry(jobId: string, name?: string): Promise<void>;
  /** Counts per job name. */
  stats(): Promise<Record<string, QueueCounts>>;
  /**
   * Resolves once nothing is waiting, running or delayed, except the next run of a schedule.
   * For tests and benchmarks; needs a running worker (start() on a worker process).
   */
  drained(opts?: { timeoutMs?: number }): Promise<void>;
}
