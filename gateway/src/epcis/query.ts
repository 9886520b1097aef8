import { EPCIS_CONTEXT } from '@cradle/protocol';
import DataLoader from 'dataloader';
import { type Expression, type SqlBool, sql } from 'kysely';
import type { Db } from '../platform/db';
import { invalid } from '../platform/http/problem';
import { JsonText } from '../platform/http/read-cache';
import type { Principal } from '../platform/http/route';
import { glnOf } from '../trace/epc';
import { cbvWord, normaliseEpc } from './keys';

/**
 * EPCIS 2.0 SimpleEventQuery over the REST binding (GET /epcis/events, §12.6 / the GS1 openapi.yaml): list values
 * are pipe-delimited, results are ordered by record time (the repository's insertion order), paged with perPage and an
 * opaque nextPageToken. Unknown parameters are refused, as the standard's QueryParameterException.
 */
export const MAX_PER_PAGE = 1000;
const DEFAULT_PER_PAGE = 30;

const KEY_PARAMS: Record<string, string[]> = {
  MATCH_epc: ['epc', 'childEPC'],
  MATCH_anyEPC: ['epc', 'childEPC', 'parentID', 'inputEPC', 'outputEPC'],
  MATCH_parentID: ['parentID'],
  MATCH_inputEPC: ['inputEPC'],
  MATCH_outputEPC: ['outputEPC'],
  MATCH_epcClass: ['epcClass'],
  MATCH_anyEPCClass: ['epcClass'],
};
const SIMPLE = ['eventType', 'EQ_action', 'EQ_bizStep', 'EQ_disposition', 'EQ_readPoint', 'EQ_bizLocation', 'WD_bizLocation', 'EQ_eventID', 'GE_eventTime', 'LT_eventTime', 'GE_recordTime', 'LT_recordTime', 'perPage', 'nextPageToken'];
const DYNAMIC = /^EQ_(bizTransaction|source|destination)_([A-Za-z_]+)$/;

export interface EventPage {
  /** Each event as JSON text, with its recordTime. */
  events: string[];
  nextPageToken: string | null;
}

const list = (v: string) => v.split('|').map((x) => x.trim()).filter((x) => x !== '');

function time(name: string, v: string): string {
  if (Number.isNaN(Date.parse(v)) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) throw invalid(`query.${name}`, 'must be an ISO-8601 date-time with offset, e.g. 2025-01-31T08:00:00.000+08:00');
  return v;
}

/** An EPC or an EPC pattern (urn:epc:idpat:sgtin:6923456.012345.*) as a LIKE pattern. */
function matchValue(v: string): { exact: string } | { like: string } {
  if (v.startsWith('urn:epc:idpat:')) {
    const id = v.replace('urn:epc:idpat:', v.includes(':lgtin:') ? 'urn:epc:class:' : 'urn:epc:id:');
    return { like: id.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%') };
  }
  return { exact: normaliseEpc(v) };
}

export function encodePageToken(pk: number): string {
  return Buffer.from(JSON.stringify({ after: pk })).toString('base64url');
}
function decodePageToken(t: string): number {
  try {
    const v = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof v.after === 'number' && Number.isInteger(v.after) && v.after >= 0) return v.after;
  } catch {
    /* fall through */
  }
  throw invalid('query.nextPageToken', 'is not a token this server issued');
}

/** An event row as the queries read it: the stored document as JSON text, spliced into the answer unparsed. */
interface EventRow {
  pk: string | number;
  doc: string;
  record_time: Date | string;
}

/** Requests for the events of exact keys (HQ's view) answered together: at most this many per statement. */
const KEY_QUERY_BATCH = 64;

/** One request's part of a batched exact-key query. */
interface KeyQuery {
  kinds: string[];
  values: string[];
  after: number;
  limit: number;
}

/**
 * The commonest query, a code's events in HQ's view (MATCH_anyEPC and friends with exact values), for every request
 * that asks in the same turn of the event loop, in one statement (epcis_events_by_keys_batch, migration 018: a
 * PL/pgSQL function, so its plan is kept per connection). As the consumer lookup reads its cans (consumer/trace.ts):
 * at a few thousand queries a second, a round trip per request cost the gateway and PostgreSQL more than the query.
 */
function keyQueries(db: Db): DataLoader<KeyQuery, EventRow[]> {
  return new DataLoader<KeyQuery, EventRow[]>(
    async (part) => {
      const req: number[] = [];
      const values: string[] = [];
      const kinds: string[] = [];
      part.forEach((q, i) => {
        for (const v of q.values) {
          for (const k of q.kinds) {
            req.push(i + 1);
            values.push(v);
            kinds.push(k);
          }
        }
      });
      const r = await sql<EventRow & { req: number }>`
        select req, pk, doc, record_time
        from epcis_events_by_keys_batch(${req}::int[], ${values}::text[], ${kinds}::text[], ${part.map((q) => q.after)}::bigint[], ${part.map((q) => q.limit)}::int[])`.execute(db);
      const byRequest = part.map((): EventRow[] => []);
      for (const row of r.rows) byRequest[row.req - 1]!.push(row);
      return byRequest;
    },
    { cache: false, maxBatchSize: KEY_QUERY_BATCH, batchScheduleFn: (run) => setImmediate(run) },
  );
}

export type QueryEvents = (params: Record<string, string>, principal: Principal, visible: Set<string> | null) => Promise<EventPage>;

/** The event query of a repository; dealers and stores see only events about codes shipped or handed to them. */
export function eventQueries(db: Db): QueryEvents {
  const byKeys = keyQueries(db);
  return (params, principal, visible) => queryEvents(db, byKeys, params, principal, visible);
}

async function queryEvents(
  db: Db,
  byKeysBatched: DataLoader<KeyQuery, EventRow[]>,
  params: Record<string, string>,
  principal: Principal,
  visible: Set<string> | null,
): Promise<EventPage> {
  for (const k of Object.keys(params)) {
    if (!(k in KEY_PARAMS) && !SIMPLE.includes(k) && !DYNAMIC.test(k)) throw invalid(`query.${k}`, 'is not a query parameter this server supports (EPCIS QueryParameterException)');
  }
  const perPage = params.perPage === undefined ? DEFAULT_PER_PAGE : Number(params.perPage);
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) throw invalid('query.perPage', `must be an integer from 1 to ${MAX_PER_PAGE}`);

  const byKeys = visible === null ? exactKeysOnly(params) : null;
  if (byKeys) {
    const after = params.nextPageToken ? decodePageToken(params.nextPageToken) : 0;
    return toPage(await byKeysBatched.load({ ...byKeys, after, limit: perPage + 1 }), perPage);
  }

  let q = db.selectFrom('epcis_events as e').select(['e.pk', sql<string>`e.doc::text`.as('doc'), 'e.record_time']);
  const p = (name: string) => params[name];
  if (p('eventType')) q = q.where('e.type', 'in', list(p('eventType')!));
  if (p('EQ_action')) q = q.where('e.action', 'in', list(p('EQ_action')!));
  if (p('EQ_bizStep')) q = q.where('e.biz_step', 'in', list(p('EQ_bizStep')!).map((v) => cbvWord(v) ?? v));
  if (p('EQ_disposition')) q = q.where('e.disposition', 'in', list(p('EQ_disposition')!).map((v) => cbvWord(v) ?? v));
  if (p('EQ_readPoint')) q = q.where('e.read_point', 'in', list(p('EQ_readPoint')!));
  if (p('EQ_bizLocation')) q = q.where('e.biz_location', 'in', list(p('EQ_bizLocation')!));
  // An eventID is event_id, or the hash of an event stored under its hash (event_id null: migration 015).
  if (p('EQ_eventID')) {
    const ids = list(p('EQ_eventID')!);
    q = q.where((eb) => eb.or([eb('e.event_id', 'in', ids), eb.and([eb('e.event_id', 'is', null), eb('e.event_hash', 'in', ids)])]));
  }
  if (p('GE_eventTime')) q = q.where('e.event_time', '>=', time('GE_eventTime', p('GE_eventTime')!));
  if (p('LT_eventTime')) q = q.where('e.event_time', '<', time('LT_eventTime', p('LT_eventTime')!));
  if (p('GE_recordTime')) q = q.where('e.record_time', '>=', new Date(time('GE_recordTime', p('GE_recordTime')!)));
  if (p('LT_recordTime')) q = q.where('e.record_time', '<', new Date(time('LT_recordTime', p('LT_recordTime')!)));
  if (p('WD_bizLocation')) {
    // "With descendants": the location and every party under it in the network (parties.parent_id).
    const glns = list(p('WD_bizLocation')!).map((v) => glnOf(v)).filter((g): g is string => g !== null);
    if (glns.length === 0) throw invalid('query.WD_bizLocation', 'must name SGLN URIs (urn:epc:id:sgln:...)');
    const locs = await sql<{ gln: string }>`
      with recursive d(id, gln) as (
        select id, gln from parties where gln = any(${glns}::text[])
        union select p.id, p.gln from parties p join d on p.parent_id = d.id
      ) select gln from d where gln is not null`.execute(db);
    const sglns = list(p('WD_bizLocation')!).concat(locs.rows.map((r) => `urn:epc:id:sgln:${r.gln.slice(0, 7)}.${r.gln.slice(7, 12)}.0`));
    q = q.where('e.biz_location', 'in', sglns);
  }
  const keyFilter = (kinds: string[], values: string[]) => {
    const matches = values.map(matchValue);
    const exact = matches.flatMap((m) => ('exact' in m ? [m.exact] : []));
    if (exact.length === matches.length) {
      // Exact EPCs: find the events through the key index first (an InitPlan run once), then fetch them by pk in
      // order. As an EXISTS the planner may walk every event in pk order, probing the keys for each, until the page fills.
      return q.where(sql<SqlBool>`e.pk = any(array(select k.event_pk from epcis_event_keys k where k.value = any(${exact}::text[]) and k.kind = any(${kinds}::text[])))`);
    }
    return q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('epcis_event_keys as k')
          .select(sql`1`.as('one'))
          .whereRef('k.event_pk', '=', 'e.pk')
          .where('k.kind', 'in', kinds)
          .where((eb2) => eb2.or(values.map((v) => {
            const m = matchValue(v);
            return 'exact' in m ? eb2('k.value', '=', m.exact) : eb2('k.value', 'like', m.like);
          }))),
      ),
    );
  };
  for (const [name, kinds] of Object.entries(KEY_PARAMS)) {
    if (p(name)) q = keyFilter(kinds, list(p(name)!));
  }
  for (const [name, value] of Object.entries(params)) {
    const m = DYNAMIC.exec(name);
    if (m) {
      const kind = `${m[1]}:${m[2]}`;
      q = q.where((eb) => eb.exists(eb.selectFrom('epcis_event_keys as k').select(sql`1`.as('one')).whereRef('k.event_pk', '=', 'e.pk').where('k.kind', '=', kind).where('k.value', 'in', list(value))));
    }
  }
  if (visible !== null) {
    const partyIds = [...visible];
    if (partyIds.length === 0) return { events: [], nextPageToken: null };
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('epcis_event_keys as k')
          .innerJoin('codes as c', 'c.epc', 'k.value')
          .select(sql`1`.as('one'))
          .whereRef('k.event_pk', '=', 'e.pk')
          .where('k.kind', 'in', ['epc', 'childEPC', 'parentID'])
          .where((eb2): Expression<SqlBool> =>
            principal.role === 'store'
              ? eb2.or([eb2('c.holder_id', 'in', partyIds), eb2('c.shipped_to', 'in', partyIds)])
              : eb2('c.shipped_to', 'in', partyIds),
          ),
      ),
    );
  }
  if (p('nextPageToken')) q = q.where('e.pk', '>', decodePageToken(p('nextPageToken')!));
  return toPage(await q.orderBy('e.pk').limit(perPage + 1).execute(), perPage);
}

/**
 * A page of event rows (perPage + 1 read, to know whether another page follows). A stored document has no
 * recordTime (epcis/repository.ts), so it is appended to the document's text, which jsonb prints as one object.
 */
function toPage(rows: readonly EventRow[], perPage: number): EventPage {
  const page = rows.slice(0, perPage);
  return {
    events: page.map((r) => `${r.doc.slice(0, -1)}, "recordTime": ${JSON.stringify(new Date(r.record_time).toISOString())}}`),
    nextPageToken: rows.length > perPage ? encodePageToken(Number(page.at(-1)!.pk)) : null,
  };
}

/** The key kinds and exact values when the query is one MATCH_ parameter of exact EPCs (and paging), else null. */
function exactKeysOnly(params: Record<string, string>): { kinds: string[]; values: string[] } | null {
  let found: { kinds: string[]; values: string[] } | null = null;
  for (const [name, value] of Object.entries(params)) {
    if (name === 'perPage' || name === 'nextPageToken') continue;
    const kinds = KEY_PARAMS[name];
    if (!kinds || found) return null;
    const values: string[] = [];
    for (const v of list(value)) {
      const m = matchValue(v);
      if (!('exact' in m)) return null;
      values.push(m.exact);
    }
    if (values.length === 0) return null;
    found = { kinds, values };
  }
  return found;
}

/** The JSON-LD context of the query's answers: EPCIS 2.0's, and the CBV master-data prefix the stored ILMD uses. */
export const QUERY_CONTEXT = [EPCIS_CONTEXT, { cbvmda: 'urn:epcglobal:cbv:mda:' }] as const;

/** The EPCISQueryDocument (EPCIS 2.0 §9) around a page of results, as JSON text. */
export function queryDocument(events: readonly string[]): JsonText {
  const head = JSON.stringify({ '@context': QUERY_CONTEXT, type: 'EPCISQueryDocument', schemaVersion: '2.0', creationDate: new Date().toISOString() });
  return new JsonText(`${head.slice(0, -1)},"epcisBody":{"queryResults":{"queryName":"SimpleEventQuery","resultsBody":{"eventList":[${events.join(',')}]}}}}`);
}
