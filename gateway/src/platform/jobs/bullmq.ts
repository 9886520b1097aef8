import { randomUUID } from 'node:crypto';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { retryDelayMs } from './backoff';
import { DEFAULT_RETENTION, type JobDefinition, type ResolvedJob, type Retention } from './definition';
import {
  AmbiguousJobIdError,
  JobAlreadyRegisteredError,
  JobNotFailedError,
  JobRunnerClosedError,
  JobsNotDrainedError,
  UnknownJobError,
} from './errors';
import { runAttempt } from './execute';
import { createJobMetrics } from './metrics';
import { checkJobId, resolveJob, toWire, validatePayload } from './payload';
import type { EnqueueOptions, FailedJob, JobRunner, QueueCounts } from './runner';

/*
 * The BullMQ driver, for the scaled deployment. One queue per job definition (not one queue with
 * named jobs) because:
 *  - concurrency is per definition, and a BullMQ worker's concurrency is per queue;
 *  - a slow or failing job type cannot hold up the others' waiting lists;
 *  - counts, the dead-letter list and @bull-board show each job type on its own.
 * The cost is one blocking Redis connection per definition in each worker process, which is fine
 * for the few dozen job types Cradle has.
 */

/** The custom backoff type: BullMQ calls our strategy, so the formula is the one in backoff.ts. */
const BACKOFF_TYPE = 'cradle';

export interface BullMqRunnerOptions {
  redisUrl: string;
  /** Redis key prefix of every queue (REDIS_PREFIX); tests give each run its own. */
  prefix: string;
  log: Logger;
  /**
   * true (default): this process runs workers and owns the schedules (worker processes, or a single
   * gateway). false: producer only, for gateway replicas that enqueue and inspect.
   */
  workers?: boolean;
  registry?: Registry;
  retention?: Retention;
}

export interface BullMqJobRunner extends JobRunner {
  readonly driver: 'bullmq';
  /** The BullMQ queues, one per registered definition, e.g. to mount @bull-board. */
  queues(): Queue[];
}

interface Lane {
  job: ResolvedJob;
  queue: Queue;
  worker?: Worker;
}

export function createBullMqRunner(opts: BullMqRunnerOptions): BullMqJobRunner {
  const log = opts.log.child({ component: 'jobs', driver: 'bullmq' });
  const runsWorkers = opts.workers ?? true;
  const retention = opts.retention ?? DEFAULT_RETENTION;
  const metrics = createJobMetrics(opts.registry);
  // One connection for all queues and workers; BullMQ duplicates it for each worker's blocking reads.
  // maxRetriesPerRequest: null is what BullMQ requires for workers (wait for Redis rather than fail).
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', (err) => log.error({ err }, 'redis connection error'));
  const lanes = new Map<string, Lane>();
  let started = false;
  let closed = false;

  const lane = (name: string): Lane => {
    const l = lanes.get(name);
    if (!l) throw new UnknownJobError(name);
    return l;
  };

  const jobOptions = (job: ResolvedJob) => ({
    attempts: job.attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { count: retention.completed },
    removeOnFail: { count: retention.failed },
  });

  const startWorker = (l: Lane) => {
    const job = l.job;
    const worker = new Worker(
      job.name,
      async (j: Job) => {
        const attempt = j.attemptsMade + 1;
        const outcome = await runAttempt(job, { jobId: j.id ?? '', attempt, payload: j.data }, { log, metrics });
        if (outcome.ok) return outcome.value;
        // A final failure with attempts left (a payload that no longer validates) must skip the retries.
        if (outcome.final && attempt < job.attempts) throw new UnrecoverableError(outcome.error.message);
        throw outcome.error;
      },
      {
        connection,
        prefix: opts.prefix,
        concurrency: job.concurrency,
        settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(job.backoff, attemptsMade) },
      },
    );
    worker.on('error', (err) => log.error({ err, job: job.name }, 'worker error'));
    l.worker = worker;
  };

  // The worker side owns the schedules: upserting is idempotent, and removing a scheduler whose
  // definition lost its schedule keeps Redis true to the code after a deploy.
  const syncSchedule = async (l: Lane) => {
    const s = l.job.def.schedule;
    if (!s) {
      await l.queue.removeJobScheduler(l.job.name);
      return;
    }
    await l.queue.upsertJobScheduler(l.job.name, s.everyMs !== undefined ? { every: s.everyMs } : { pattern: s.cron }, {
      name: l.job.name,
      data: toWire(l.job.name, s.payload ?? {}),
      opts: jobOptions(l.job),
    });
  };

  const startLane = async (l: Lane) => {
    if (!runsWorkers || l.worker) return;
    startWorker(l);
    await syncSchedule(l);
  };

  const runner: BullMqJobRunner = {
    driver: 'bullmq',

    register<P>(def: JobDefinition<P>) {
      if (closed) throw new JobRunnerClosedError();
      if (lanes.has(def.name)) throw new JobAlreadyRegisteredError(def.name);
      const job = resolveJob(def) as ResolvedJob;
      const queue = new Queue(job.name, { connection, prefix: opts.prefix });
      queue.on('error', (err) => log.error({ err, job: job.name }, 'queue error'));
      const l: Lane = { job, queue };
      lanes.set(job.name, l);
      if (started) {
        startLane(l).catch((err: unknown) => log.error({ err, job: job.name }, 'could not start the job worker'));
      }
    },

    async enqueue(job: string | JobDefinition<unknown>, payload: unknown, o: EnqueueOptions = {}) {
      if (closed) throw new JobRunnerClosedError();
      const l = lane(typeof job === 'string' ? job : job.name);
      const wire = toWire(l.job.name, payload);
      validatePayload(l.job.def, wire);
      const jobId = o.jobId === undefined ? randomUUID() : checkJobId(o.jobId);
      // With a jobId that exists, BullMQ returns the existing job and stores nothing: the idempotency.
      await l.queue.add(l.job.name, wire, { ...jobOptions(l.job), jobId, ...(o.delayMs ? { delay: o.delayMs } : {}) });
      return { jobId };
    },

    async start() {
      if (closed) throw new JobRunnerClosedError();
      if (started) return;
      started = true;
      await Promise.all([...lanes.values()].map(startLane));
    },

    async close() {
      if (closed) return;
      closed = true;
      // Worker.close() lets the running jobs finish (and records their outcome) before it resolves.
      await Promise.all([...lanes.values()].map((l) => l.worker?.close()));
      await Promise.all([...lanes.values()].map((l) => l.queue.close()));
      await connection.quit();
    },

    async failed(name?: string) {
      const selected = name === undefined ? [...lanes.values()] : [lane(name)];
      const out: FailedJob[] = [];
      for (const l of selected) {
        for (const j of await l.queue.getFailed(0, -1)) {
          out.push({
            name: l.job.name,
            jobId: j.id ?? '',
            payload: j.data,
            error: j.failedReason,
            attempts: j.attemptsMade,
            failedAt: new Date(j.finishedOn ?? 0),
          });
        }
      }
      return out.sort((a, b) => a.failedAt.getTime() - b.failedAt.getTime());
    },

    async retry(jobId: string, name?: string) {
      if (closed) throw new JobRunnerClosedError();
      const selected = name === undefined ? [...lanes.values()] : [lane(name)];
      const found: Array<{ l: Lane; j: Job }> = [];
      for (const l of selected) {
        const j = await l.queue.getJob(jobId);
        if (j && (await j.isFailed())) found.push({ l, j: j as Job });
      }
      const [hit, ...more] = found;
      if (!hit) throw new JobNotFailedError(jobId);
      if (more.length > 0) throw new AmbiguousJobIdError(jobId, found.map((f) => f.l.job.name));
      await hit.j.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    },

    async stats() {
      const out: Record<string, QueueCounts> = {};
      for (const l of lanes.values()) {
        const c = await l.queue.getJobCounts('waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed');
        out[l.job.name] = {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          completed: c.completed ?? 0,
          failed: c.failed ?? 0,
          delayed: c.delayed ?? 0,
        };
      }
      return out;
    },

    async drained({ timeoutMs = 30_000 } = {}) {
      // Redis has no "idle" event across queues and processes, so this polls.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await idle()) return;
        if (Date.now() > deadline) throw new JobsNotDrainedError(timeoutMs);
        await new Promise((r) => setTimeout(r, 25));
      }
    },

    queues: () => [...lanes.values()].map((l) => l.queue),
  };

  const idle = async () => {
    for (const l of lanes.values()) {
      const c = await l.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
      if ((c.waiting ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0) > 0) return false;
      if ((c.delayed ?? 0) > 0) {
        // A schedule always keeps its next run delayed; that one is not work. A scheduled run waiting
        // for a retry's backoff is (it has attempts behind it).
        const delayed = await l.queue.getDelayed(0, -1);
        if (delayed.some((j) => !j.repeatJobKey || j.attemptsMade > 0)) return false;
      }
    }
    return true;
  };

  return runner;
}
