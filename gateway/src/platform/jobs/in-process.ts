import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { retryDelayMs } from './backoff';
import { nextCronTime, parseCron } from './cron';
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
import { createJobMetrics, type JobMetrics } from './metrics';
import { checkJobId, resolveJob, toWire, validatePayload } from './payload';
import type { EnqueueOptions, FailedJob, JobRunner, QueueCounts } from './runner';

/*
 * The in-process driver, for the embedded single-process start. Jobs live in memory only: they do
 * NOT survive a restart, by design. The embedded mode re-derives its work on start (schedules fire
 * again, syncs look at what is out of date) instead of persisting a queue; use the BullMQ driver when
 * jobs must outlive the process.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface InProcessRunnerOptions {
  log: Logger;
  clock?: Clock;
  registry?: Registry;
  retention?: Retention;
}

export interface InProcessJobRunner extends JobRunner {
  readonly driver: 'in-process';
}

type State = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

interface StoredJob {
  id: string;
  payload: unknown;
  attemptsMade: number;
  state: State;
  error?: string;
  failedAt?: number;
  timer?: NodeJS.Timeout;
}

/** One registered definition with its jobs: the in-memory counterpart of a BullMQ queue. */
interface Lane {
  job: ResolvedJob;
  jobs: Map<string, StoredJob>;
  waiting: StoredJob[];
  active: number;
  delayed: number;
  /** Finished job ids, oldest first, for retention. */
  completed: string[];
  failed: string[];
  schedule?: NodeJS.Timeout;
}

export function createInProcessRunner(opts: InProcessRunnerOptions): InProcessJobRunner {
  const log = opts.log.child({ component: 'jobs', driver: 'in-process' });
  const clock = opts.clock ?? { now: () => Date.now() };
  const retention = opts.retention ?? DEFAULT_RETENTION;
  const metrics: JobMetrics = createJobMetrics(opts.registry);
  const lanes = new Map<string, Lane>();
  const running = new Set<Promise<void>>();
  let drainWaiters: Array<() => void> = [];
  let started = false;
  let closed = false;

  const lane = (name: string): Lane => {
    const l = lanes.get(name);
    if (!l) throw new UnknownJobError(name);
    return l;
  };

  const idle = () => [...lanes.values()].every((l) => l.waiting.length === 0 && l.active === 0 && l.delayed === 0);
  const notifyIfIdle = () => {
    if (drainWaiters.length === 0 || !idle()) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w();
  };

  const keep = (l: Lane, list: 'completed' | 'failed', id: string) => {
    const ids = l[list];
    ids.push(id);
    while (ids.length > retention[list]) {
      const old = ids.shift();
      if (old !== undefined) l.jobs.delete(old);
    }
  };

  const delay = (l: Lane, j: StoredJob, ms: number) => {
    j.state = 'delayed';
    l.delayed++;
    j.timer = setTimeout(() => {
      j.timer = undefined;
      l.delayed--;
      j.state = 'waiting';
      l.waiting.push(j);
      pump(l);
    }, ms);
  };

  const pump = (l: Lane) => {
    while (started && !closed && l.active < l.job.concurrency) {
      const j = l.waiting.shift();
      if (!j) break;
      const p = runOne(l, j).finally(() => running.delete(p));
      running.add(p);
    }
    notifyIfIdle();
  };

  const runOne = async (l: Lane, j: StoredJob) => {
    j.state = 'active';
    l.active++;
    const attempt = j.attemptsMade + 1;
    const outcome = await runAttempt(l.job, { jobId: j.id, attempt, payload: j.payload }, { log, metrics }).catch(
      (error: Error) => ({ ok: false as const, error, final: attempt >= l.job.attempts }),
    );
    j.attemptsMade = attempt;
    l.active--;
    if (outcome.ok) {
      j.state = 'completed';
      keep(l, 'completed', j.id);
    } else if (outcome.final) {
      j.state = 'failed';
      j.error = outcome.error.message;
      j.failedAt = clock.now();
      keep(l, 'failed', j.id);
    } else if (!closed) {
      delay(l, j, retryDelayMs(l.job.backoff, attempt));
    } else {
      // Closing: the retry is dropped with the rest of the memory (see the note at the top).
      j.state = 'waiting';
    }
    pump(l);
  };

  const add = (l: Lane, payload: unknown, id: string, delayMs: number | undefined) => {
    if (l.jobs.has(id)) return;
    const j: StoredJob = { id, payload, attemptsMade: 0, state: 'waiting' };
    l.jobs.set(id, j);
    if (delayMs !== undefined && delayMs > 0) delay(l, j, delayMs);
    else {
      l.waiting.push(j);
      pump(l);
    }
  };

  const startSchedule = (l: Lane) => {
    const s = l.job.def.schedule;
    if (!s || l.schedule) return;
    const payload = toWire(l.job.name, s.payload ?? {});
    const fire = () => add(l, payload, `schedule-${l.job.name}-${clock.now()}-${randomUUID().slice(0, 8)}`, undefined);
    if (s.everyMs !== undefined) {
      fire();
      l.schedule = setInterval(fire, s.everyMs);
    } else if (s.cron !== undefined) {
      const cron = parseCron(s.cron);
      const arm = () => {
        const now = clock.now();
        l.schedule = setTimeout(() => {
          fire();
          arm();
        }, nextCronTime(cron, new Date(now)).getTime() - now);
      };
      arm();
    }
  };

  const runner: InProcessJobRunner = {
    driver: 'in-process',

    register<P>(def: JobDefinition<P>) {
      if (closed) throw new JobRunnerClosedError();
      if (lanes.has(def.name)) throw new JobAlreadyRegisteredError(def.name);
      const l: Lane = {
        job: resolveJob(def) as ResolvedJob,
        jobs: new Map(),
        waiting: [],
        active: 0,
        delayed: 0,
        completed: [],
        failed: [],
      };
      lanes.set(def.name, l);
      if (started) startSchedule(l);
    },

    async enqueue(job: string | JobDefinition<unknown>, payload: unknown, o: EnqueueOptions = {}) {
      if (closed) throw new JobRunnerClosedError();
      const l = lane(typeof job === 'string' ? job : job.name);
      const wire = toWire(l.job.name, payload);
      validatePayload(l.job.def, wire);
      const id = o.jobId === undefined ? randomUUID() : checkJobId(o.jobId);
      add(l, wire, id, o.delayMs);
      return { jobId: id };
    },

    async start() {
      if (closed) throw new JobRunnerClosedError();
      if (started) return;
      started = true;
      for (const l of lanes.values()) {
        startSchedule(l);
        pump(l);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const l of lanes.values()) {
        if (l.schedule) clearTimeout(l.schedule);
        for (const j of l.jobs.values()) if (j.timer) clearTimeout(j.timer);
      }
      while (running.size > 0) await Promise.allSettled([...running]);
    },

    async failed(name?: string) {
      const out: FailedJob[] = [];
      for (const l of name === undefined ? lanes.values() : [lane(name)]) {
        for (const id of l.failed) {
          const j = l.jobs.get(id);
          if (!j) continue;
          out.push({ name: l.job.name, jobId: j.id, payload: j.payload, error: j.error ?? '', attempts: j.attemptsMade, failedAt: new Date(j.failedAt ?? 0) });
        }
      }
      return out.sort((a, b) => a.failedAt.getTime() - b.failedAt.getTime());
    },

    async retry(jobId: string, name?: string) {
      if (closed) throw new JobRunnerClosedError();
      const candidates = (name === undefined ? [...lanes.values()] : [lane(name)]).filter((l) => l.jobs.get(jobId)?.state === 'failed');
      const [l, ...more] = candidates;
      if (!l) throw new JobNotFailedError(jobId);
      if (more.length > 0) throw new AmbiguousJobIdError(jobId, candidates.map((c) => c.job.name));
      const j = l.jobs.get(jobId)!;
      l.failed = l.failed.filter((id) => id !== jobId);
      j.attemptsMade = 0;
      j.state = 'waiting';
      delete j.error;
      delete j.failedAt;
      l.waiting.push(j);
      pump(l);
    },

    async stats() {
      const out: Record<string, QueueCounts> = {};
      for (const l of lanes.values()) {
        out[l.job.name] = { waiting: l.waiting.length, active: l.active, completed: l.completed.length, failed: l.failed.length, delayed: l.delayed };
      }
      return out;
    },

    drained({ timeoutMs = 30_000 } = {}) {
      if (idle()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          drainWaiters = drainWaiters.filter((w) => w !== done);
          reject(new JobsNotDrainedError(timeoutMs));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        drainWaiters.push(done);
      });
    },
  };
  return runner;
}
