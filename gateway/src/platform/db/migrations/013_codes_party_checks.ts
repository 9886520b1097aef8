import { type Kysely, sql } from 'kysely';
import { refuseDeletes } from './refuse-deletes';

/**
 * codes.holder_id and codes.shipped_to change at nearly every step of a code's life, and each change fired a
 * foreign-key check (one query against parties per row: about 6 µs of PostgreSQL per code, measured on a 1,000-code
 * commissioning batch). The lifecycle only ever writes party ids it has just read from parties in the same
 * transaction, and no party is ever deleted (accounts are suspended or closed), so the checks could not fail.
 * They are replaced by what actually keeps the references good: parties cannot be deleted at all.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table codes drop constraint if exists codes_holder_id_fkey`.execute(db);
  await sql`alter table codes drop constraint if exists codes_shipped_to_fkey`.execute(db);
  await refuseDeletes(db, 'parties', 'parties are never deleted (codes, orders and the trace refer to them): suspend or close the account instead');
}
