import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type BullMqJobRunner, createBullMqRunner } from './bullmq';
import type { Retention } from './definition';
import { createInProcessRunner, type InProcessJobRunner } from './in-process';

export { type BullMqJobRunner, type BullMqRunnerOptions, createBullMqRunner } from './bullmq';
export { type Clock, createInProcessRunner, type InProcessJobRunner, type InProcessRunnerOptions } from './in-process';
export {
  type BackoffPolicy,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF,
  DEFAULT_CONCURRENCY,
  DEFAULT_RETENTION,
  defineJob,
  type JobContext,
  type JobDefinition,
  type JobSchedule,
  type Retention,
} from './definition';
export * from './errors';
export { InvalidCronError } from './cron';
export type { EnqueueOptions, FailedJob, JobRunner, QueueCounts } from './runner';

export interface JobRunnerConfig {
  /** Unset: the in-process driver (embedded start). Set: BullMQ on this Redis. */
  redisUrl?: string | undefined;
  prefix: string;
  /** BullMQ only: run workers and schedules here (default), or only enqueue (gateway replicas). */
  workers?: boolean;
  registry?: Registry;
  retention?: Retention;
}

/** Picks the driver from configuration, once, at start-up. */
export function createJobRunner(config: JobRunnerConfig, log: Logger): InProcessJobRunner | BullMqJobRunner {
  const { redisUrl, prefix, workers, registry, retention } = config;
  if (redisUrl === undefined) return createInProcessRunner({ log, registry, retention });
  return createBullMqRunner({ redisUrl, prefix, workers, log, registry, retention });
}
