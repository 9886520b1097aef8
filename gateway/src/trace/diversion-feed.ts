import { parseEpcUrn } from '@cradle/protocol';
import { sql } from 'kysely';
import type { TraceEventFeed } from '../diversion/feed';
import type { ScanSource } from '../diversion/rules';
import type { DiversionInput } from '../diversion/scan';
import type { Db } from '../platform/db';
import { glnOf } from './epc';

/**
 * The trace core's side of the diversion engine (docs/diversion.md, "wiring"): committed downstream events, in commit
 * order, each resolved to a `DiversionInput`. Read only: nothing here writes a trace table.
 *
 * Two ordered sources share one position, `"<eventPk>:<consumerAtMicros>:<consumerQueryId>"`:
 * - `epcis_events` by `pk` (scans from MQTT, EPCIS captures): receiving, inspecting, retail selling (see DOWNSTREAM);
 * - `consumer_queries` by `(at, id)` (the consumer page), see below.
 * One composite cursor rather than two named feeds: the feed job has one name and one cursor row, and one position
 * moves both sources in the same cursor write after the engine has judged the batch (the engine is idempotent per
 * event id, and the order between the two sources does not matter to it: clone signals order consumer scans by time).
 *
 * Commit order. `pk` is taken from the sequence when a transaction inserts, not when it commits: with concurrent
 * ingest transactions (PostgreSQL) pk 7 may become visible after pk 8. A cursor that moved past 8 would never see 7.
 * So the feed stops at the first hole in the pk sequence and lets it through only once it is settled: every transaction
 * in progress when the hole was first seen has ended (`pg_xact_status`), after which the hole is permanent (a rolled
 * back insert, or an `on conflict do nothing` duplicate, which also consumes a sequence value). A hole open longer
 * than `maxGapWaitMs` is let through anyway, so a stuck unrelated transaction cannot stop diversion judging for ever.
 * PGlite has one connection: no transaction is in progress while the feed reads, so its holes settle at once.
 */
export interface DiversionFeedOptions {
  /**
   * Consumer scans are judged once the consumer shared their location (POST /trace/location fills lat/lng), or when
   * this long has passed without it. Judged earlier, a scan whose coordinates come seconds later would be judged
   * "unknown location" and never again (the engine counts an event id once); judged only when located, the scans of
   * consumers who never share would never count, and they still matter for clone signals (number of scans). A
   * location shared after the grace is ignored. Default 20 s: the page asks as it opens.
   */
  consumerGraceMs?: number;
  /** A hole in the pk sequence blocks at most this long (see above). Default 30 s. */
  maxGapWaitMs?: number;
  /** Re-checks of a hole within one read before giving up until the next poll. Default 10 × 15 ms. */
  gapRetries?: number;
  /** Raw event rows read per page while looking for downstream events. Default 2,000. */
  pageRows?: number;
}

/** EPCIS bizSteps (CBV 2.0 words) that are a downstream party's scan of goods it holds or sells. */
export const DOWNSTREAM = ['receiving', 'arriving', 'accepting', 'inspecting', 'retail_selling', 'stocking', 'storing'] as const;

/** Brand sites: their scans are upstream (production, dispatch, returns), never evidence of diversion. */
const BRAND_KINDS = new Set(['factory', 'warehouse', 'farm']);

interface Position { pk: number; cAt: string; cId: string }
const START: Position = { pk: 0, cAt: '0', cId: '00000000-0000-0000-0000-000000000000' };

function parsePosition(p: string | null): Position {
  if (!p) return START;
  const [pk, cAt, cId] = p.split(':');
  if (!pk || !/^\d+$/.test(pk) || !cAt || !/^-?\d+$/.test(cAt) || !cId) throw new Error(`diversion feed: malformed position ${JSON.stringify(p)}`);
  return { pk: Number(pk), cAt, cId };
}
const formatPosition = (p: Position) => `${p.pk}:${p.cAt}:${p.cId}`;

/** An event as the feed reads it: the fields past `downstream` are null unless it is true. */
interface EventRow { pk: string | number; biz_step: string | null; downstream: boolean | null; event_id: string | null; biz_location: string | null; read_point: string | null; event_time: Date | string | null; source_id: string | null }
interface CodeFacts {
  epc: string;
  kind: 'item' | 'case' | 'pallet' | null;
  gtin: string | null;
  serial: string | null;
  sscc: string | null;
  batch_code: string | null;
  state: string | null;
  items: number;
  inner_batch: string | null;
  shipped_to: string | null;
  order_id: string | null;
  shipped_at: Date | string | null;
}
interface Party { id: string; kind: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The trace core's `TraceEventFeed` for the diversion engine (wire with `diversionFeedJob({ db, engine, feed })`). */
export function createDiversionFeed(db: Db, opts: DiversionFeedOptions = {}): TraceEventFeed {
  const graceMs = opts.consumerGraceMs ?? 20_000;
  const maxGapWaitMs = opts.maxGapWaitMs ?? 30_000;
  const gapRetries = opts.gapRetries ?? 10;
  const pageRows = opts.pageRows ?? 2000;

  // Parties by GLN (the SGLN of biz_location / read_point) and devices by id, re-read when an unknown one turns up.
  let byGln = new Map<string, Party>();
  let byId = new Map<string, Party>();
  let partiesAt = 0;
  async function party(gln: string | null): Promise<Party | undefined> {
    if (!gln) return undefined;
    if (partiesAt === 0 || (!byGln.has(gln) && Date.now() - partiesAt > 1000)) {
      const rows = await db.selectFrom('parties').select(['id', 'kind', 'gln']).execute();
      byGln = new Map(rows.filter((r) => r.gln).map((r) => [r.gln!, { id: r.id, kind: r.kind }]));
      byId = new Map(rows.map((r) => [r.id, { id: r.id, kind: r.kind }]));
      partiesAt = Date.now();
    }
    return byGln.get(gln);
  }

  // Holes in the pk sequence: when first seen, and the transactions then in progress (xid8 as text).
  const holes = new Map<number, { since: number; xids: string[] }>();
  async function holeSettled(pk: number): Promise<boolean> {
    let h = holes.get(pk);
    if (!h) {
      const r = await sql<{ x: string }>`select x::text as x from pg_snapshot_xip(pg_current_snapshot()) as x`.execute(db);
      h = { since: Date.now(), xids: r.rows.map((row) => row.x) };
      holes.set(pk, h);
    }
    if (h.xids.length === 0 || Date.now() - h.since > maxGapWaitMs) return true;
    const r = await sql<{ n: number }>`select count(*)::int as n from unnest(${h.xids}::text[]) as x where pg_xact_status(x::xid8) = 'in progress'`.execute(db);
    if (Number(r.rows[0]?.n ?? 0) > 0) return false;
    h.xids = [];
    return true;
  }

  /** Event rows after `pk` up to the first unsettled hole, in pk order. */
  async function settledEventsAfter(pk: number, limit: number): Promise<{ rows: EventRow[]; last: number }> {
    for (let attempt = 0; ; attempt++) {
      // Every row's pk (the cursor, the holes) and bizStep; the rest only of the downstream events the rules read: most
      // events are the factory's commissioning, and their ids, places and times were read and parsed for nothing.
      const r = await sql<EventRow>`
        select pk, biz_step, d.down as downstream,
          case when d.down then coalesce(event_id, event_hash) end as event_id,
          case when d.down then biz_location end as biz_location, case when d.down then read_point end as read_point,
          case when d.down then event_time end as event_time, case when d.down then source_id end as source_id
        from epcis_events cross join lateral (select biz_step = any(${[...DOWNSTREAM]}::text[]) as down) d
        where pk > ${pk} order by pk limit ${limit}`.execute(db);
      const rows: EventRow[] = [];
      let expect = pk + 1;
      let blocked = false;
      for (const row of r.rows) {
        const n = Number(row.pk);
        if (n !== expect) {
          // A hole is known by its first missing pk: it ends where the next visible row begins.
          if (!(await holeSettled(expect))) {
            blocked = true;
            break;
          }
          holes.delete(expect);
        }
        rows.push(row);
        expect = n + 1;
      }
      if (!blocked || attempt >= gapRetries) {
        for (const k of holes.keys()) if (k < expect) holes.delete(k);
        return { rows, last: expect - 1 };
      }
      // A transaction holding the hole is committing: re-read shortly, its rows come in order.
      await sleep(15);
    }
  }

  /** Everything the engine needs about each code: issued or not, its contents, its batch, its dispatch binding. */
  async function codeFacts(epcs: string[]): Promise<Map<string, CodeFacts>> {
    if (epcs.length === 0) return new Map();
    // A code's ancestors, descendants, binding and shipping events are looked up per code through the indexes (lateral
    // subqueries the planner cannot flatten, `offset 0`): a page of thousands of codes stays linear whatever the
    // statistics say. Joined as sets, a planner working from statistics older than the last bulk change (a dispatch
    // that shipped 100,000 codes a moment before) read every shipped code and every EPC key for each page: ~170 ms a
    // page on the diversion-latency benchmark, so the alerts fell behind the ingest.
    const r = await sql<CodeFacts>`
      with recursive input(epc) as (select distinct unnest(${epcs}::text[])),
      anc(epc, cur, depth) as (
        select epc, epc, 0 from input
        union all
        select a.epc, c.parent_epc, a.depth + 1 from anc a cross join lateral (select parent_epc from codes where epc = a.cur offset 0) c
        where c.parent_epc is not null and a.depth < 4),
      des(epc, cur, depth) as (
        select epc, epc, 0 from input
        union all
        select d.epc, c.epc, d.depth + 1 from des d cross join lateral (select epc from codes where parent_epc = d.cur offset 0) c where d.depth < 4),
      contents as (
        select d.epc, count(*) filter (where x.kind = 'item')::int as items, min(x.batch_code) as inner_batch
        from des d cross join lateral (select kind, batch_code from codes where epc = d.cur offset 0) x group by d.epc),
      shipped as (
        select a.epc, max(s.at) as shipped_at from anc a
          cross join lateral (
            select e.event_time as at from epcis_event_keys k join epcis_events e on e.pk = k.event_pk
            where k.value = a.cur and k.kind = 'epc' and e.biz_step = 'shipping' offset 0) s
        group by a.epc),
      bound as (
        select distinct on (a.epc) a.epc, x.shipped_to, x.order_id
        from anc a cross join lateral (select shipped_to, order_id from codes where epc = a.cur offset 0) x
        where x.shipped_to is not null order by a.epc, a.depth)
      select i.epc, c.kind, c.gtin, c.serial, c.sscc, c.batch_code, c.state,
        coalesce(n.items, 0) as items, n.inner_batch, b.shipped_to, b.order_id, s.shipped_at
      from input i
      left join codes c on c.epc = i.epc
      left join contents n on n.epc = i.epc
      left join bound b on b.epc = i.epc
      left join shipped s on s.epc = i.epc`.execute(db);
    return new Map(r.rows.map((row) => [row.epc, row]));
  }

  /** The code as the engine keys it: `<gtin>.<serial>` for a unit, the 18-digit SSCC for a case or pallet. */
  function identity(epc: string, f: CodeFacts | undefined): Pick<DiversionInput, 'code' | 'gtin' | 'serial' | 'sscc'> | undefined {
    if (f?.kind) {
      if (f.sscc) return { code: f.sscc, sscc: f.sscc, gtin: f.gtin ?? undefined };
      if (f.gtin && f.serial) return { code: `${f.gtin}.${f.serial}`, gtin: f.gtin, serial: f.serial };
    }
    const p = parseEpcUrn(epc);
    if (!p.ok) return undefined;
    if (p.value.scheme === 'sgtin') return { code: `${p.value.gtin}.${p.value.serial}`, gtin: p.value.gtin, serial: p.value.serial };
    if (p.value.scheme === 'sscc') return { code: p.value.sscc, sscc: p.value.sscc };
    return undefined;
  }

  function resolved(f: CodeFacts | undefined, eventTime: Date): Pick<DiversionInput, 'batch' | 'itemCount' | 'shippedTo' | 'codeStatus'> {
    if (!f?.kind) return { itemCount: 1, codeStatus: 'never-issued' };
    return {
      batch: f.batch_code ?? f.inner_batch ?? undefined,
      itemCount: f.kind === 'item' ? 1 : Math.max(1, Number(f.items)),
      shippedTo: f.shipped_to && f.order_id ? { dealerId: f.shipped_to, orderId: f.order_id, shippedAt: f.shipped_at ? new Date(f.shipped_at) : eventTime } : undefined,
      codeStatus: f.state === 'decommissioned' ? 'decommissioned' : 'issued',
    };
  }

  async function readEvents(from: number, limit: number): Promise<{ events: DiversionInput[]; last: number }> {
    const events: DiversionInput[] = [];
    let last = from;
    // At most this many rows per read: a long run of factory events moves the cursor over several polls.
    for (let scanned = 0; events.length < limit && scanned < pageRows * 20; scanned += pageRows) {
      const { rows, last: upTo } = await settledEventsAfter(last, pageRows);
      if (rows.length === 0) break;
      const downstream = rows.filter((r) => r.downstream === true);
      const pks = downstream.map((r) => Number(r.pk));
      const keys = pks.length
        ? await db.selectFrom('epcis_event_keys').select(['event_pk', 'value']).where('event_pk', 'in', pks).where('kind', '=', 'epc').orderBy('event_pk').orderBy('value').execute()
        : [];
      const sourceIds = [...new Set(downstream.map((r) => r.source_id).filter((s): s is string => s !== null))];
      const devices = sourceIds.length
        ? await db.selectFrom('ingest_messages').innerJoin('devices', 'devices.code', 'ingest_messages.device_code').select(['ingest_messages.source_id', 'devices.id', 'devices.site_id']).where('ingest_messages.source_id', 'in', sourceIds).execute()
        : [];
      const deviceOf = new Map(devices.map((d) => [d.source_id, d]));
      const facts = await codeFacts(keys.map((k) => k.value));
      const epcsOf = new Map<number, string[]>();
      for (const k of keys) {
        const list = epcsOf.get(Number(k.event_pk)) ?? [];
        list.push(k.value);
        epcsOf.set(Number(k.event_pk), list);
      }
      for (const row of downstream) {
        const eventTime = new Date(row.event_time!);
        const place = (await party(glnOf(row.biz_location ?? '') ?? null)) ?? (await party(glnOf(row.read_point ?? '') ?? null));
        const device = row.source_id ? deviceOf.get(row.source_id) : undefined;
        const site = place ?? (device ? byId.get(device.site_id) : undefined);
        if (site && BRAND_KINDS.has(site.kind)) continue;
        // The scanning party's kind says who scanned; an inspector's scan says so by its bizStep. A scan from nowhere
        // known counts as a store's: its place is unknown, so only its code status (a forgery) can raise an alert.
        const source: ScanSource = row.biz_step === 'inspecting' ? 'inspector' : site?.kind === 'dealer' ? 'distributor' : 'store';
        const epcs = epcsOf.get(Number(row.pk)) ?? [];
        for (const epc of epcs) {
          const f = facts.get(epc);
          const id = identity(epc, f);
          if (!id) continue;
          events.push({
            // One input per EPC; an event naming several EPCs gives each its own stable id.
            eventId: epcs.length === 1 ? row.event_id! : `${row.event_id!}#${epc}`,
            ...id,
            ...resolved(f, eventTime),
            bizStep: row.biz_step!,
            source,
            eventTime,
            scanningPartyId: place?.id,
            deviceId: device?.id,
          });
        }
      }
      last = upTo;
      if (rows.length < pageRows) break;
    }
    return { events, last };
  }

  async function readConsumer(from: Position, limit: number): Promise<{ events: DiversionInput[]; cAt: string; cId: string }> {
    // Rows a second old at least: a query's `at` is its transaction's start, so a younger row may still be uncommitted.
    const r = await sql<{ id: string; epc: string; at: Date | string; at_us: string; lat: number | null; lng: number | null; ready: boolean }>`
      select id, epc, at, (extract(epoch from at) * 1000000)::bigint::text as at_us, lat, lng,
        (lat is not null or at < now() - ${graceMs} * interval '1 millisecond') as ready
      from consumer_queries
      where (at, id) > (timestamptz 'epoch' + ${from.cAt}::bigint * interval '1 microsecond', ${from.cId}::uuid)
        and at < now() - interval '1 second'
      order by at, id limit ${limit}`.execute(db);
    const ready: typeof r.rows = [];
    // In order: stop at the first query still waiting for its location, so the cursor never passes it.
    for (const row of r.rows) {
      if (!row.ready) break;
      ready.push(row);
    }
    const facts = await codeFacts(ready.map((q) => q.epc));
    const events: DiversionInput[] = [];
    for (const q of ready) {
      const f = facts.get(q.epc);
      const id = identity(q.epc, f);
      if (!id) continue;
      const eventTime = new Date(q.at);
      events.push({
        eventId: `consumer-query:${q.id}`,
        ...id,
        ...resolved(f, eventTime),
        bizStep: 'consumer_scan',
        source: 'consumer',
        eventTime,
        ...(q.lat !== null && q.lng !== null ? { lat: q.lat, lng: q.lng } : {}),
      });
    }
    const tail = ready.at(-1);
    return { events, cAt: tail ? tail.at_us : from.cAt, cId: tail ? tail.id : from.cId };
  }

  return {
    async readAfter(position, limit) {
      const from = parsePosition(position);
      const ev = await readEvents(from.pk, limit);
      const cq = await readConsumer(from, limit);
      const to: Position = { pk: ev.last, cAt: cq.cAt, cId: cq.cId };
      const moved = to.pk !== from.pk || to.cAt !== from.cAt || to.cId !== from.cId;
      return { events: [...ev.events, ...cq.events], position: moved ? formatPosition(to) : position };
    },
  };
}
