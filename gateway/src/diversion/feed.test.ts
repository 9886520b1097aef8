import { seedDemoData } from '../demo/seed';
import { openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import { diversionFeedJob, type TraceEventFeed } from './feed';
import type { DiversionInput } from './scan';
import { createDiversionStack } from './scenario/stack';

/** A feed over a list, standing in for the trace core's committed events (see TraceEventFeed). */
function listFeed(events: DiversionInput[]): TraceEventFeed & { reads: number } {
  return {
    reads: 0,
    async readAfter(position, limit) {
      this.reads++;
      const from = position === null ? 0 : Number(position);
      const page = events.slice(from, from + limit);
      return { events: page, position: page.length ? String(from + page.length) : position };
    },
  };
}

describe('the diversion feed over committed trace events', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    await seedDemoData(db.db, { password: 'unused-password', hashPassword: async () => 'x' });
  }, 120_000);
  afterAll(() => db?.dispose());

  it('judges every event once, resumes from its persisted cursor, and counts a re-read event once', async () => {
    const stack = await createDiversionStack(db.db);
    const dealer = await db.db.selectFrom('parties').select(['id']).where('tier', '=', 1).where('region_code', '=', '420100').executeTakeFirstOrThrow();
    const store = await db.db.selectFrom('parties').select('id').where('kind', '=', 'store').where('region_code', 'like', '4401%').executeTakeFirstOrThrow();
    const scan = (i: number): DiversionInput => ({
      eventId: `feed-${i}`, code: `00369012349999999${i}`, sscc: `00369012349999999${i}`, batch: 'B-FEED', itemCount: 10, bizStep: 'receiving', source: 'store',
      eventTime: new Date('2025-03-10T02:00:00Z'), scanningPartyId: store.id, shippedTo: { dealerId: dealer.id, orderId: 'SO-F', shippedAt: new Date('2025-03-01T00:00:00Z') },
    });
    const events = [0, 1, 2, 3, 4].map(scan);
    const feed = listFeed(events);
    const first = diversionFeedJob({ db: db.db, engine: stack.engine, feed, batch: 2 });
    expect(await first.drain()).toBe(5);
    // A restarted gateway resumes where the cursor stands: nothing new, nothing judged again.
    const again = diversionFeedJob({ db: db.db, engine: stack.engine, feed, batch: 2 });
    expect(await again.drain()).toBe(0);
    // The cursor lost (a crash before it moved): events are read again but count once.
    await db.db.deleteFrom('diversion_feed_cursors').execute();
    expect(await again.drain()).toBe(5);
    const alert = await db.db.selectFrom('diversion_alerts').selectAll().where('kind', '=', 'diversion').where('batch', '=', 'B-FEED').executeTakeFirstOrThrow();
    expect(alert).toMatchObject({ status: 'open', item_count: 50, scan_count: 5 });
  });
});
