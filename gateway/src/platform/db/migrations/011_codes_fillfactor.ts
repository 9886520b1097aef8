import { type Kysely, sql } from 'kysely';

/**
 * A code's row is updated at every step of its life (commissioned, packed, shipped, received, sold), and codes are
 * issued, printed and scanned in runs, so a page's rows are updated together. With pages packed full (fillfactor 100)
 * every such update moved the row to another page and wrote a new entry into each of the table's three full indexes
 * (epc, gtin + serial, gtin + batch) besides the heap: about 1 KB of WAL and five WAL records per commissioning.
 * Leaving half of each page free lets PostgreSQL keep the new version on the same page (a heap-only tuple): no index
 * entries, one WAL record. None of the lifecycle's updates changes an indexed column of a can that stays loose, so
 * they all qualify; the ones that set parent_epc, shipped_to or order_id touch those partial indexes only.
 * It applies to pages written from now on (new issues); `vacuum full codes` rewrites older ones when convenient.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table codes set (fillfactor = 50)`.execute(db);
}
