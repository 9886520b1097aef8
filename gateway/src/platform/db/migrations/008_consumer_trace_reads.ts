import { type Kysely, sql } from 'kysely';

/**
 * The consumer trace lookup reads a few cans per statement (those asked for in the same tick): the statement is
 * large (events of the can and of its cases and pallets, query counts), and PostgreSQL spent more time planning it
 * than running it (measured: 1.7-2.2 ms a call of 5 cans unprepared, 0.6 ms prepared). As a PL/pgSQL function its
 * plan is cached per connection. Same rows as the statement in consumer/trace.ts had; p_cap bounds the counting.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function consumer_code_rows(p_epcs text[], p_cap int)
    returns table (epc text, state text, batch_code text, gtin text, batch_status text, events json, previous int, provinces int, first_at timestamptz)
    language plpgsql stable as $fn$
    #variable_conflict use_column
    begin
      return query
      select c.epc, c.state, c.batch_code, c.gtin::text,
        (select b.status from batches b where b.gtin = c.gtin and b.code = c.batch_code),
        (select json_agg(json_build_object('step', e.biz_step, 'at', e.event_time, 'loc', e.biz_location,
            'dest', (select d.value from epcis_event_keys d where d.event_pk = e.pk and d.kind like 'destination:%' limit 1)) order by e.event_time)
          from epcis_events e where e.pk in (
            select k0.event_pk from epcis_event_keys k0 where k0.kind in ('epc', 'childEPC', 'parentID') and k0.value in (
              select c.epc
              union select k.value from epcis_event_keys k
                where k.kind = 'parentID' and k.event_pk in (select k2.event_pk from epcis_event_keys k2 where k2.value = c.epc and k2.kind = 'childEPC')))
          and e.biz_step in ('commissioning', 'shipping', 'receiving', 'retail_selling')),
        (select count(*)::int from (select 1 from consumer_queries q where q.epc = c.epc limit p_cap) x),
        (select count(distinct x.province_code)::int from (select q.province_code from consumer_queries q where q.epc = c.epc and q.province_code is not null limit p_cap) x),
        (select min(q.at) from consumer_queries q where q.epc = c.epc)
      from codes c where c.epc = any(p_epcs);
    end
    $fn$`.execute(db);
}
