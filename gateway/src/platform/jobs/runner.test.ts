import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { TEST_REDIS_URL } from '../testing/databases';
import {
  createBullMqRunner,
  createInProcessRunner,
  createJobRunner,
  defineJob,
  InvalidJobIdError,
  InvalidJobPayloadError,
  type JobContext,
  JobNotFailedError,
  type JobRunner,
  UnknownJobError,
} from './index';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function deleteKeys(prefix: string) {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function counter(registry: Registry, name: string, job: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  return values.find((v) => v.labels.job === job)?.value ?? 0;
}

const erpOrder = z.object({ orderId: z.string().min(1), qty: z.number().int().positive().default(1) });

describe.each(['in-process', 'bullmq'] as const)('%s job runner', (driver) => {
  let runner: JobRunner;
  let registry: Registry;
  let prefix: string;

  beforeEach(() => {
    registry = new Registry();
    prefix = `test-jobs-${crypto.randomBytes(6).toString('hex')}`;
    runner =
      driver === 'in-process'
        ? createInProcessRunner({ log, registry })
        : createBullMqRunner({ redisUrl: TEST_REDIS_URL, prefix, log, registry });
  });

  afterEach(async () => {
    await runner.close();
    if (driver === 'bullmq') await deleteKeys(prefix);
  });

  it('runs a job with its validated payload', async () => {
    const seen: Array<{ payload: z.infer<typeof erpOrder>; ctx: JobContext }> = [];
    const job = defineJob({ name: 'erp-order', schema: erpOrder, handler: async (payload, ctx) => void seen.push({ payload, ctx }) });
    runner.register(job);
    const { jobId } = await runner.enqueue(job, { orderId: 'SO-1' } as z.infer<typeof erpOrder>);
    await runner.start();
    await runner.drained();
    expect(seen.map((s) => s.payload)).toEqual([{ orderId: 'SO-1', qty: 1 }]); // the schema's default applied
    expect(seen[0]?.ctx).toMatchObject({ jobId, attempt: 1 });
    expect((await runner.stats())['erp-order']).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0, delayed: 0 });
    expect(await counter(registry, 'cradle_jobs_completed_total', 'erp-order')).toBe(1);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const attempts: number[] = [];
    runner.register(
      defineJob({
        name: 'flaky-sync',
        schema: z.object({ n: z.number() }),
        attempts: 5,
        backoff: { type: 'exponential', delayMs: 10, jitter: 0.5 },
        handler: async (_p, ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new Error(`WMS unavailable (attempt ${ctx.attempt})`);
        },
      }),
    );
    await runner.start();
    await runner.enqueue('flaky-sync', { n: 1 });
    await waitFor(async () => (await runner.stats())['flaky-sync']?.completed === 1, 'completion');
    expect(attempts).toEqual([1, 2, 3]);
    expect(await runner.failed()).toEqual([]);
    expect(await counter(registry, 'cradle_jobs_retried_total', 'flaky-sync')).toBe(2);
  });

  it('holds a failed attempt back for its backoff before retrying', async () => {
    let calls = 0;
    runner.register(
      defineJob({
        name: 'slow-backoff',
        schema: z.object({}),
        backoff: { type: 'fixed', delayMs: 60_000 },
        handler: async () => {
          calls++;
          throw new Error('down');
        },
      }),
    );
    await runner.start();
    await runner.enqueue('slow-backoff', {});
    await waitFor(async () => (await runner.stats())['slow-backoff']?.delayed === 1, 'the retry to be delayed');
    expect(calls).toBe(1);
  });

  it('dead-letters a job after its last attempt, and retry() replays it', async () => {
    let erpAccepts = false;
    let calls = 0;
    runner.register(
      defineJob({
        name: 'erp-push',
        schema: erpOrder,
        attempts: 2,
        backoff: { type: 'fixed', delayMs: 10 },
        handler: async () => {
          calls++;
          if (!erpAccepts) throw new Error('ERP said no');
        },
      }),
    );
    await runner.start();
    const { jobId } = await runner.enqueue('erp-push', { orderId: 'SO-9', qty: 2 }, { jobId: 'erp-push-SO-9' });
    const [dead] = await waitFor(async () => {
      const f = await runner.failed('erp-push');
      return f.length ? f : undefined;
    }, 'the dead letter');
    expect(dead).toMatchObject({ name: 'erp-push', jobId, payload: { orderId: 'SO-9', qty: 2 }, error: 'ERP said no', attempts: 2 });
    expect(calls).toBe(2);
    expect(await counter(registry, 'cradle_jobs_failed_total', 'erp-push')).toBe(1);

    erpAccepts = true;
    await runner.retry(jobId);
    await waitFor(async () => (await runner.stats())['erp-push']?.completed === 1, 'the replay to complete');
    expect(calls).toBe(3);
    expect(await runner.failed()).toEqual([]);
    await expect(runner.retry(jobId)).rejects.toBeInstanceOf(JobNotFailedError);
  });

  it('dead-letters at once a stored payload that no longer validates, without retries', async () => {
    let schemaAccepts = true;
    let calls = 0;
    runner.register(
      defineJob({
        name: 'evolving',
        schema: z.object({ n: z.number() }).refine(() => schemaAccepts, { message: 'schema changed' }),
        attempts: 5,
        handler: async () => void calls++,
      }),
    );
    await runner.enqueue('evolving', { n: 1 });
    schemaAccepts = false; // as if a deploy changed the schema while the job waited
    await runner.start();
    const [dead] = await waitFor(async () => {
      const f = await runner.failed();
      return f.length ? f : undefined;
    }, 'the dead letter');
    expect(dead).toMatchObject({ name: 'evolving', attempts: 1 });
    expect(dead?.error).toContain('schema changed');
    expect(calls).toBe(0);
  });

  it('fails an attempt that runs past timeoutMs and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    runner.register(
      defineJob({
        name: 'hung-soap-call',
        schema: z.object({}),
        attempts: 1,
        timeoutMs: 50,
        handler: (_p, ctx) => {
          signal = ctx.signal;
          return new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        },
      }),
    );
    await runner.start();
    await runner.enqueue('hung-soap-call', {});
    const [dead] = await waitFor(async () => {
      const f = await runner.failed();
      return f.length ? f : undefined;
    }, 'the timeout');
    expect(dead?.error).toContain('longer than 50 ms');
    expect(signal?.aborted).toBe(true);
  });

  it('runs a job enqueued twice with the same jobId once', async () => {
    const seen: unknown[] = [];
    runner.register(defineJob({ name: 'ingest', schema: z.object({ eventId: z.string(), n: z.number() }), handler: async (p) => void seen.push(p) }));
    const a = await runner.enqueue('ingest', { eventId: 'e1', n: 1 }, { jobId: 'event-e1' });
    const b = await runner.enqueue('ingest', { eventId: 'e1', n: 2 }, { jobId: 'event-e1' });
    expect(b.jobId).toBe(a.jobId);
    await runner.start();
    await runner.drained();
    await runner.enqueue('ingest', { eventId: 'e1', n: 3 }, { jobId: 'event-e1' }); // the completed job still exists
    await runner.drained();
    expect(seen).toEqual([{ eventId: 'e1', n: 1 }]);
  });

  it('rejects an invalid payload at enqueue, naming the field, and stores nothing', async () => {
    runner.register(defineJob({ name: 'erp-order', schema: erpOrder, handler: async () => undefined }));
    const err = await runner.enqueue('erp-order', { orderId: 'SO-1', qty: -3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidJobPayloadError);
    expect(err).toMatchObject({ code: 'JOB_PAYLOAD_INVALID', jobName: 'erp-order', fields: ['qty'] });
    expect((err as Error).message).toContain('qty');
    expect((await runner.stats())['erp-order']).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 });
  });

  it('validates the JSON form of the payload, the same on both drivers', async () => {
    // A Date does not survive the trip through Redis (it arrives as a string), so it is refused in memory too;
    // the schema must say z.coerce.date() to accept it.
    runner.register(defineJob({ name: 'recall-notice', schema: z.object({ at: z.date() }), handler: async () => undefined }));
    runner.register(defineJob({ name: 'recall-notice-coerced', schema: z.object({ at: z.coerce.date() }), handler: async () => undefined }));
    await expect(runner.enqueue('recall-notice', { at: new Date(0) })).rejects.toMatchObject({ code: 'JOB_PAYLOAD_INVALID', fields: ['at'] });
    await expect(runner.enqueue('recall-notice-coerced', { at: new Date(0) })).resolves.toHaveProperty('jobId');
    expect((await runner.stats())['recall-notice']?.waiting).toBe(0);
    expect((await runner.stats())['recall-notice-coerced']?.waiting).toBe(1);
  });

  it('refuses job ids BullMQ cannot store', async () => {
    runner.register(defineJob({ name: 'erp-order', schema: erpOrder, handler: async () => undefined }));
    for (const jobId of ['42', 'order:42', '']) {
      await expect(runner.enqueue('erp-order', { orderId: 'SO-1' }, { jobId })).rejects.toBeInstanceOf(InvalidJobIdError);
    }
    expect((await runner.stats())['erp-order']).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 });
  });

  it('rejects an unknown job name', async () => {
    const err = await runner.enqueue('no-such-job', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownJobError);
    expect(err).toMatchObject({ code: 'JOB_UNKNOWN', jobName: 'no-such-job' });
    expect(await runner.stats()).toEqual({});
  });

  it('never runs more jobs of a definition at once than its concurrency', async () => {
    let running = 0;
    let most = 0;
    let done = 0;
    runner.register(
      defineJob({
        name: 'thumbnail',
        schema: z.object({ i: z.number() }),
        concurrency: 3,
        handler: async () => {
          running++;
          most = Math.max(most, running);
          // Hold the slot until three have run at once (or give up), so a too-low limit shows as most < 3.
          await waitFor(() => most >= 3, 'three in parallel', 1000).catch(() => undefined);
          await sleep(5);
          running--;
          done++;
        },
      }),
    );
    for (let i = 0; i < 9; i++) await runner.enqueue('thumbnail', { i });
    await runner.start();
    await runner.drained();
    expect(done).toBe(9);
    expect(most).toBe(3);
  });

  it('fires a schedule repeatedly with its payload', async () => {
    const seen: unknown[] = [];
    runner.register(
      defineJob({ name: 'stock-snapshot', schema: z.object({ site: z.string() }), schedule: { everyMs: 50, payload: { site: 'SH-1' } }, handler: async (p) => void seen.push(p) }),
    );
    await runner.start();
    await waitFor(() => seen.length >= 3, 'three scheduled runs');
    expect(new Set(seen.map((p) => JSON.stringify(p)))).toEqual(new Set([JSON.stringify({ site: 'SH-1' })]));
  });

  it('keeps a delayed job back until its time', async () => {
    let calls = 0;
    runner.register(defineJob({ name: 'reminder', schema: z.object({}), handler: async () => void calls++ }));
    await runner.start();
    await runner.enqueue('reminder', {}, { delayMs: 60_000 });
    await waitFor(async () => (await runner.stats()).reminder?.delayed === 1, 'the delayed job');
    expect(calls).toBe(0);
  });

  it('close() waits for the running job to finish', async () => {
    let started = false;
    let finished = false;
    runner.register(
      defineJob({
        name: 'long-export',
        schema: z.object({}),
        handler: async () => {
          started = true;
          await sleep(200);
          finished = true;
        },
      }),
    );
    await runner.start();
    await runner.enqueue('long-export', {});
    await waitFor(() => started, 'the job to start');
    await runner.close();
    expect(finished).toBe(true);
  });
});

describe('bullmq job runner across processes', () => {
  const prefix = `test-jobs-${crypto.randomBytes(6).toString('hex')}`;
  afterAll(() => deleteKeys(prefix));

  it('lets a producer-only gateway enqueue and a worker process run the job', async () => {
    const ranIn: string[] = [];
    const job = (where: string) =>
      defineJob({ name: 'trace-export', schema: z.object({ batch: z.string() }), handler: async (p) => void ranIn.push(`${where}:${p.batch}`) });
    const gateway = createBullMqRunner({ redisUrl: TEST_REDIS_URL, prefix, log, workers: false });
    const worker = createBullMqRunner({ redisUrl: TEST_REDIS_URL, prefix, log });
    try {
      gateway.register(job('gateway'));
      worker.register(job('worker'));
      await gateway.start();
      await gateway.enqueue('trace-export', { batch: 'B-2026-03' });
      await worker.start();
      await worker.drained();
      expect(ranIn).toEqual(['worker:B-2026-03']);
      expect((await gateway.stats())['trace-export']?.completed).toBe(1);
      expect(gateway.queues().map((q) => q.name)).toEqual(['trace-export']);
    } finally {
      await gateway.close();
      await worker.close();
    }
  });
});

describe('createJobRunner', () => {
  it('runs in-process without a Redis URL, and on BullMQ with one', async () => {
    const embedded = createJobRunner({ prefix: 'cradle' }, log);
    expect(embedded.driver).toBe('in-process');
    await embedded.close();
    const prefix = `test-jobs-${crypto.randomBytes(6).toString('hex')}`;
    const scaled = createJobRunner({ redisUrl: TEST_REDIS_URL, prefix, workers: false }, log);
    expect(scaled.driver).toBe('bullmq');
    await scaled.close();
  });
});
