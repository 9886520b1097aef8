import { type Kysely, sql } from 'kysely';

/**
 * An event whose eventID is its GS1 event hash (every scan the ingest turns into events) kept that string twice, in
 * event_id and in event_hash, each under a unique index: two random 90-byte keys per event where one does. event_id
 * now holds only an eventID of the event's own (captured from outside), and is null when the eventID is the hash;
 * readers take coalesce(event_id, event_hash). Its unique index is partial, so a hash-named event writes no entry
 * there, and the insert's conflict check has one index fewer to probe. Rows stored before keep their event_id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table epcis_events alter column event_id drop not null`.execute(db);
  await sql`create unique index if not exists epcis_events_own_id_uq on epcis_events(event_id) where event_id is not null`.execute(db);
  await sql`alter table epcis_events drop constraint if exists epcis_events_event_id_key`.execute(db);
}
