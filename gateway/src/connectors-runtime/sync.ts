import type { RejectedRecord, SourceMovement } from '@cradle/connectors';
import { defineJob, type JobContext, type JobDefinition } from '../platform/jobs';
import type { ExternalMovement, StockService } from '../stock/service';
import type { ConnectorState } from './state';
import { z } from 'zod';

export interface Page<T> {
  good: T[];
  rejected: RejectedRecord[];
  /** Index in the source's page of each good record, so errors point at the right one. */
  indices: number[];
  last: number;
}

/**
 * Pulls a feed from its committed position, page after page, until caught up: each page's records are applied
 * (idempotently), its bad records dead-lettered, and only then the position moves on. A run that dies mid-way
 * (the source fails, the process restarts) resumes from the last page it committed.
 */
export async function pullFeed<T>(o: {
  connector: string;
  stream: string;
  state: ConnectorState;
  fetchPage: (after: number) => Promise<Page<T>>;
  apply: (good: T[], indices: number[]) => Promise<{ rejected: RejectedRecord[]; lagSeconds?: number | null }>;
  maxPages?: number;
  signal?: AbortSignal;
}): Promise<{ pages: number; items: number; rejected: number; lagSeconds: number | null; position: number }> {
  let after = Number((await o.state.cursor(o.connector, o.stream)) ?? 0);
  let pages = 0;
  let items = 0;
  let rejected = 0;
  let lag: number | null = null;
  for (; pages < (o.maxPages ?? 200); pages++) {
    o.signal?.throwIfAborted();
    const page = await o.fetchPage(after);
    const n = page.good.length + page.rejected.length;
    if (n === 0 || page.last <= after) break;
    const applied = page.good.length ? await o.apply(page.good, page.indices) : { rejected: [] };
    const bad = [...page.rejected, ...applied.rejected];
    if (bad.length) await o.state.deadLetter(o.connector, o.stream, bad);
    await o.state.advance(o.connector, o.stream, page.last);
    after = page.last;
    items += page.good.length;
    rejected += bad.length;
    if (applied.lagSeconds != null) lag = Math.max(lag ?? 0, applied.lagSeconds);
  }
  return { pages, items, rejected, lagSeconds: lag, position: after };
}

/** Source movements → ledger movements; the idempotency key is the connector plus the source's own id. */
export function toExternalMovement(connector: string, m: SourceMovement): ExternalMovement {
  return {
    idempotencyKey: `${connector}:${m.id}`,
    source: connector,
    reason: m.kind,
    gtin: m.gtin,
    batch: m.batch,
    expiryDate: m.expiryDate,
    locationCode: m.location,
    onHand: m.onHand,
    reserved: m.reserved,
    inTransit: m.inTransit,
    occurredAt: new Date(m.occurredAt),
    reference: m.reference,
  };
}

/**
 * Applies source movements to the ledger. Those the ledger cannot place (unknown SKU or location) or whose id
 * was used for other content come back as rejected, named in the source's terms by `pathOf`.
 */
export async function applyMovements(
  stock: StockService,
  connector: string,
  list: readonly SourceMovement[],
  pathOf: (index: number, field: string) => string,
): Promise<{ rejected: RejectedRecord[]; lagSeconds: number | null; applied: number; duplicates: number }> {
  const outcomes = await stock.recordExternal(list.map((m) => toExternalMovement(connector, m)));
  const rejected: RejectedRecord[] = [];
  let applied = 0;
  let duplicates = 0;
  let lag: number | null = null;
  const now = Date.now();
  outcomes.forEach((o, i) => {
    const m = list[i]!;
    if (o.status === 'rejected') rejected.push({ index: i, path: pathOf(i, o.field === 'location' ? 'location' : o.field), message: o.message, raw: m, key: m.id });
    else if (o.status === 'conflict') rejected.push({ index: i, path: pathOf(i, 'id'), message: `movement id ${m.id} was delivered before with different content`, raw: m, key: `${m.id}:conflict` });
    else if (o.status === 'duplicate') duplicates++;
    else {
      applied++;
      lag = Math.max(lag ?? 0, (now - Date.parse(m.occurredAt)) / 1000);
    }
  });
  return { rejected, lagSeconds: lag, applied, duplicates };
}

/**
 * A connector sync as a job: records each attempt's outcome for health, lets the runner retry failures with
 * backoff and jitter, and dead-letters the job once its attempts are spent.
 */
export function defineSyncJob(o: {
  connector: string;
  stream: string;
  state: ConnectorState;
  everyMs?: number;
  retry: { attempts: number; delayMs: number; jitter: number };
  timeoutMs?: number;
  run: (ctx: JobContext) => Promise<{ items: number; lagSeconds?: number | null }>;
}): JobDefinition<Record<string, never>> {
  return defineJob({
    name: `${o.connector}.${o.stream}`,
    schema: z.object({}) as unknown as z.ZodType<Record<string, never>>,
    attempts: o.retry.attempts,
    backoff: { type: 'exponential', delayMs: o.retry.delayMs, jitter: o.retry.jitter },
    timeoutMs: o.timeoutMs ?? 10 * 60_000,
    ...(o.everyMs ? { schedule: { everyMs: o.everyMs, payload: {} } } : {}),
    handler: async (_p, ctx) => {
      try {
        const r = await o.run(ctx);
        await o.state.attempt({ connector: o.connector, stream: o.stream, ok: true, items: r.items, lagSeconds: r.lagSeconds ?? null });
        return r;
      } catch (err) {
        await o.state.attempt({ connector: o.connector, stream: o.stream, ok: false, error: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
        throw err;
      }
    },
  });
}
