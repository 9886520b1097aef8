import { z } from 'zod';
import type { Db } from '../platform/db';
import { defineJob } from '../platform/jobs';
import type { DiversionEngine } from './engine';
import type { DiversionInput } from './scan';

/**
 * What the diversion engine needs from the trace core: its committed downstream events (receiving, inspecting,
 * retail_selling, consumer scans) in commit order after a position, each already resolved to a `DiversionInput`
 * (the code's dispatch binding: dealer, order, shipping time; its batch; a case's unit count; the scanning party or
 * device; the consumer's coordinates; whether the serial was ever issued or is decommissioned). The position is
 * opaque to us (the trace core's event sequence, e.g. `epcis_events.pk`), and reading is side-effect free.
 */
export interface TraceEventFeed {
  readAfter(position: string | null, limit: number): Promise<{ events: DiversionInput[]; position: string | null }>;
}

export const FEED_JOB = 'diversion-feed';

/**
 * Polls the trace core's feed and judges each event, then moves the persisted cursor: at-least-once, and the engine
 * is idempotent per event id, so a crash between judging and moving the cursor re-judges nothing twice.
 * With a 200 ms period a scan is judged well within a second of its commit.
 */
export function diversionFeedJob(deps: { db: Db; engine: DiversionEngine; feed: TraceEventFeed; name?: string; everyMs?: number; batch?: number }) {
  const cursor = deps.name ?? 'trace-events';
  const batch = deps.batch ?? 500;
  async function drain(): Promise<number> {
    let judged = 0;
    for (;;) {
      const row = await deps.db.selectFrom('diversion_feed_cursors').select('position').where('name', '=', cursor).executeTakeFirst();
      const from = row?.position ?? null;
      const { events, position } = await deps.feed.readAfter(from, batch);
      // A feed may pass events that are not the engine's (factory, warehouse): its position then moves with no events.
      if (position === null || position === from) return judged;
      if (events.length > 0) await deps.engine.processScans(events);
      await deps.db
        .insertInto('diversion_feed_cursors')
        .values({ name: cursor, position })
        .onConflict((oc) => oc.column('name').doUpdateSet({ position, updated_at: new Date() }))
        .execute();
      judged += events.length;
      if (events.length < batch) return judged;
    }
  }
  const job = defineJob({
    name: FEED_JOB,
    schema: z.object({}),
    attempts: 1,
    timeoutMs: 60_000,
    schedule: { everyMs: deps.everyMs ?? 200 },
    handler: async () => ({ judged: await drain() }),
  });
  return { job, drain };
}
