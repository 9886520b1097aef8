import { type Kysely, sql } from 'kysely';

/**
 * The commonest EPCIS query, the events of given EPCs (MATCH_anyEPC and friends with exact values, HQ's view), as a
 * PL/pgSQL function so that PostgreSQL keeps its plan per connection: planning the statement afresh cost more than
 * running it (measured: 0.25 ms a call unprepared, 0.09 ms prepared). Same rows and order as epcis/query.ts builds
 * for that shape; p_after is the page token's pk (0 for the first page).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function epcis_events_by_keys(p_values text[], p_kinds text[], p_after bigint, p_limit int)
    returns table (pk bigint, doc jsonb, record_time timestamptz)
    language plpgsql stable as $fn$
    #variable_conflict use_column
    begin
      return query
      select e.pk, e.doc, e.record_time from epcis_events e
      where e.pk = any(array(select k.event_pk from epcis_event_keys k where k.value = any(p_values) and k.kind = any(p_kinds)))
        and e.pk > p_after
      order by e.pk limit p_limit;
    end
    $fn$`.execute(db);
}
