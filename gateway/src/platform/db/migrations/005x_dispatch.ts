import { type Kysely, sql } from 'kysely';

/**
 * Dispatch of orders: the dispatch view reads the codes a dispatch order's shipping scans bound to it
 * (codes.order_id), so that lookup gets an index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists codes_order_idx on codes(order_id) where order_id is not null`.execute(db);
}
