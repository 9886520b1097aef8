import { type Kysely, sql } from 'kysely';

/**
 * Every ingested scan wrote an entry into epcis_events_source_idx, and no query reads it: the ingest is idempotent on
 * the source id through ingest_messages (its primary key), and the diversion feed reads source_id from rows it finds
 * by pk. Dropping it saves one index insert per stored event. Idempotency is unchanged: event_id and event_hash keep
 * their unique indexes (both are needed: an event captured from outside may carry another id than its hash).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists epcis_events_source_idx`.execute(db);
}
