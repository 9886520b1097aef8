import { type Kysely, sql } from 'kysely';
import { refuseDeletes } from './refuse-deletes';

/**
 * Every key row of an ingested event fired a foreign-key check against epcis_events: a query per row that also locks
 * the event row just inserted (FOR KEY SHARE, written to the WAL). Keys are only ever inserted in the statement that
 * inserts their event, joined to the rows it returned (epcis/repository.ts), so the check could not fail. What keeps
 * the reference good instead: the EPCIS repository is append-only, no event is ever deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table epcis_event_keys drop constraint if exists epcis_event_keys_event_pk_fkey`.execute(db);
  await refuseDeletes(db, 'epcis_events', 'EPCIS events are never deleted (the repository is the record of what happened; keys and anomalies refer to them)');
}
