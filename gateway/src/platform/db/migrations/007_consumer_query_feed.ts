import { type Kysely, sql } from 'kysely';

/**
 * The diversion feed reads consumer queries in (at, id) order from a cursor, every 200 ms. Without an index on that
 * order each poll scanned and sorted the whole table (which takes every consumer scan of every can), so its cost
 * grew with the table; with it, a poll reads only the rows after the cursor.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists consumer_queries_at_id_idx on consumer_queries(at, id)`.execute(db);
}
