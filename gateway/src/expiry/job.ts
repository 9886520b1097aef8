import { z } from 'zod';
import type { Db } from '../platform/db';
import { defineJob } from '../platform/jobs';
import { localDate } from '../stock/dates';
import { runExpiryWarnings } from './warnings';

export const EXPIRY_WARNINGS_JOB = 'stock-expiry-warnings';

/** Daily at 02:00 (local time): flags near-expiry stock and sends the notifications. `date` reruns a given day. */
export const expiryWarningsJob = (deps: { db: Db; clock: () => Date }) =>
  defineJob({
    name: EXPIRY_WARNINGS_JOB,
    schema: z.object({ date: z.iso.date().optional() }),
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 30_000, jitter: 0.2 },
    timeoutMs: 10 * 60_000,
    schedule: { cron: '0 2 * * *', payload: {} },
    handler: async ({ date }, ctx) => {
      const run = await runExpiryWarnings(deps.db, date ?? localDate(deps.clock()));
      ctx.log.info(run, 'expiry warnings computed');
      return run;
    },
  });
