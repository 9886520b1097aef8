import type { z } from 'zod';
import { parseCron } from './cron';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF,
  DEFAULT_CONCURRENCY,
  type JobDefinition,
  type ResolvedJob,
} from './definition';
import { InvalidJobDefinitionError, InvalidJobIdError, InvalidJobPayloadError } from './errors';

// The name becomes a BullMQ queue name and a Redis key segment: no ":" and no spaces.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Checks a definition once, at register(), and fills in the defaults; shared by both drivers. */
export function resolveJob<P>(def: JobDefinition<P>): ResolvedJob<P> {
  const bad = (reason: string) => new InvalidJobDefinitionError(def.name, reason);
  if (!NAME.test(def.name)) throw bad('name must be letters, digits, ".", "_" or "-" (no ":")');
  const attempts = def.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) throw bad('attempts must be an integer >= 1');
  const concurrency = def.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw bad('concurrency must be an integer >= 1');
  const backoff = def.backoff ?? DEFAULT_BACKOFF;
  if (!(backoff.delayMs >= 0)) throw bad('backoff.delayMs must be >= 0');
  if (backoff.jitter !== undefined && !(backoff.jitter >= 0 && backoff.jitter <= 1)) throw bad('backoff.jitter must be within 0..1');
  if (def.timeoutMs !== undefined && !(def.timeoutMs > 0)) throw bad('timeoutMs must be > 0');
  const s = def.schedule;
  if (s) {
    if ((s.everyMs === undefined) === (s.cron === undefined)) throw bad('schedule needs exactly one of everyMs or cron');
    if (s.everyMs !== undefined && !(s.everyMs > 0)) throw bad('schedule.everyMs must be > 0');
    if (s.cron !== undefined) parseCron(s.cron);
    validatePayload(def, toWire(def.name, s.payload ?? {}));
  }
  return { def, name: def.name, attempts, backoff, concurrency, timeoutMs: def.timeoutMs };
}

/**
 * Payloads travel as JSON on BullMQ, so both drivers store the JSON form: a payload that only works
 * in memory (a Date, a Map, a class instance) is caught at enqueue on the embedded start too.
 */
export function toWire(jobName: string, payload: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (e) {
    throw new InvalidJobPayloadError(jobName, [
      { code: 'custom', path: [], message: `not JSON-serialisable (${(e as Error).message})`, input: payload },
    ]);
  }
  return text === undefined ? undefined : JSON.parse(text);
}

/** Parses the payload with the definition's schema, or throws InvalidJobPayloadError naming each field. */
export function validatePayload<P>(def: JobDefinition<P>, payload: unknown): P {
  const parsed = (def.schema as z.ZodType<P>).safeParse(payload);
  if (!parsed.success) throw new InvalidJobPayloadError(def.name, parsed.error.issues);
  return parsed.data;
}

/** BullMQ's rules for custom ids, applied on both drivers. */
export function checkJobId(jobId: string): string {
  if (jobId === '' || `${parseInt(jobId, 10)}` === jobId || jobId.includes(':')) throw new InvalidJobIdError(jobId);
  return jobId;
}
