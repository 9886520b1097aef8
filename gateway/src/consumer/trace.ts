import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { glnOf, sgtinEpc } from '../trace/epc';

/** What a consumer may see about one can. Never a dealer's or store's name, never a price. */
export interface ConsumerTrace {
  code: { gtin: string; serial: string; batch: string | null; state: string };
  product: { name: string; nameEn: string | null; category: string };
  batch: { code: string; productionDate: string | null; expiryDate: string | null; recalled: boolean; held: boolean } | null;
  chain: ChainStep[];
  qcReports: { id: string; result: 'pass' | 'fail'; fileName: string; at: string }[];
  sterilisation: { readings: number; outOfLimits: number; maxTemperature: number | null; unit: string | null } | null;
  authenticity: { verdict: 'first' | 'repeat' | 'caution' | 'suspicious'; previousQueries: number; provinces: number; firstQueryAt: string | null };
  /** This query's id, to attach the consumer's location if they allow it. */
  queryId: string;
}

export type Stage = 'farm' | 'factory' | 'sterilisation' | 'qc' | 'warehouse' | 'dealer' | 'store' | 'sold';
export interface ChainStep {
  stage: Stage;
  at: string | null;
  /** Place as a consumer may see it: the brand's own sites by name; dealers and stores by region only. */
  place: string | null;
  detail: string | null;
}

export type LookupResult = { found: false; reason: 'not_issued' | 'not_activated' | 'batch_mismatch' } | { found: true; trace: ConsumerTrace };

interface PartyInfo {
  kind: string;
  name: string;
  region: string;
}

const TTL_MS = 60_000;
/** Counting stops here: the verdict needs no more, and a copied code scanned a million times must not slow its page. */
const COUNT_CAP = 100;

/**
 * The consumer trace of a can, built in two round trips: one statement that records this query and reads the code,
 * its product, batch, earlier queries and the events of the can and of every case/pallet it was packed in; then the
 * (cached) names of places. Parties, regions and SKUs change rarely, so they are cached for a minute.
 */
export function createTraceLookup({ db }: { db: Db }) {
  let parties: { at: number; byGln: Map<string, PartyInfo>; byId: Map<string, PartyInfo> } | null = null;
  const recorder = createQueryRecorder(db);

  async function places() {
    if (parties && Date.now() - parties.at < TTL_MS) return parties;
    const rows = await sql<{ id: string; gln: string | null; kind: string; name: string; region: string }>`
      select p.id, p.gln, p.kind, p.name,
        concat_ws('', prov.name, case when city.name is not null and city.name not in ('市辖区', '县') then city.name end, case when r.level = 'county' then r.name end) as region
      from parties p join regions r on r.code = p.region_code
      left join regions city on city.code = case when r.level = 'county' then r.parent_code when r.level = 'city' then r.code end
      left join regions prov on prov.code = r.province_code`.execute(db);
    const byGln = new Map<string, PartyInfo>();
    const byId = new Map<string, PartyInfo>();
    for (const r of rows.rows) {
      const info = { kind: r.kind, name: r.name, region: r.region };
      if (r.gln) byGln.set(r.gln, info);
      byId.set(r.id, info);
    }
    parties = { at: Date.now(), byGln, byId };
    return parties;
  }

  interface StaticRow {
    state: string;
    batch_code: string | null;
    name: string;
    name_en: string | null;
    category: string;
    batch_id: string | null;
    production_date: string | null;
    expiry_date: string | null;
    batch_status: string | null;
    factory_id: string | null;
    events: { step: string | null; at: string; loc: string | null; dest: string | null }[] | null;
    inputs: { farm_id: string | null; material: string; milked_at: string | null; data: Record<string, unknown> }[] | null;
    steril: { readings: number; out: number; max_t: number | null; unit: string | null } | null;
    reports: { id: string; result: 'pass' | 'fail'; file_name: string; at: string }[] | null;
  }
  // What a can's page shows besides the query counts changes slowly (events arrive minutes apart): a few seconds of
  // cache lets a popular code's page be served without re-reading its chain.
  const chainCache = new Map<string, { at: number; row: StaticRow }>();
  const CHAIN_TTL_MS = 3000;

  async function readChain(epc: string, gtin: string): Promise<StaticRow | undefined> {
    const hit = chainCache.get(epc);
    if (hit && Date.now() - hit.at < CHAIN_TTL_MS) return hit.row;
    const r = await sql<StaticRow>`
      with c as (select epc, state, batch_code, gtin from codes where epc = ${epc}),
      fam as (
        select ${epc}::text as epc
        union select k.value from epcis_event_keys k
          where k.kind = 'parentID' and k.event_pk in (select event_pk from epcis_event_keys where value = ${epc} and kind = 'childEPC')
      ),
      b as (select * from batches where gtin = ${gtin} and code = (select batch_code from c))
      select c.state, c.batch_code, s.name, s.name_en, s.category,
        b.id as batch_id, b.production_date::text, b.expiry_date::text, b.status as batch_status, b.factory_id,
        (select json_agg(json_build_object('step', e.biz_step, 'at', e.event_time, 'loc', e.biz_location,
            'dest', (select value from epcis_event_keys d where d.event_pk = e.pk and d.kind like 'destination:%' limit 1)) order by e.event_time)
          from epcis_events e where e.pk in (select event_pk from epcis_event_keys where value in (select epc from fam) and kind in ('epc', 'childEPC', 'parentID'))
          and e.biz_step in ('commissioning', 'shipping', 'receiving', 'retail_selling')) as events,
        (select json_agg(json_build_object('farm_id', i.farm_id, 'material', i.material, 'milked_at', i.milked_at, 'data', i.data)) from batch_inputs i where i.batch_id = b.id) as inputs,
        (select json_build_object('readings', count(*), 'out', count(*) filter (where out_of_limits),
            'max_t', max(value) filter (where name like '%temperature%'), 'unit', max(unit) filter (where name like '%temperature%'))
          from batch_readings r where r.batch_code = b.code and r.site_id = b.factory_id) as steril,
        (select json_agg(json_build_object('id', qr.id, 'result', qr.result, 'file_name', qr.file_name, 'at', qr.created_at) order by qr.created_at) from qc_reports qr where qr.batch_id = b.id) as reports
      from c join skus s on s.gtin = c.gtin left join b on true`.execute(db);
    const row = r.rows[0];
    // Only live codes are cached: an issued code may be commissioned any moment.
    if (row && row.state !== 'issued') {
      if (chainCache.size > 50_000) chainCache.clear();
      chainCache.set(epc, { at: Date.now(), row });
    }
    return row;
  }

  /** Looks up a can and records the query (with the client's hashed address) as input for authenticity and diversion. */
  async function lookup(gtin: string, serial: string, batchInLink: string | null, client: { ip: string; userAgent: string }): Promise<LookupResult> {
    const epc = sgtinEpc(gtin, serial);
    if (!epc) return { found: false, reason: 'not_issued' };
    const row = await readChain(epc, gtin);
    if (!row) return { found: false, reason: 'not_issued' };
    if (row.state === 'issued') return { found: false, reason: 'not_activated' };
    if (batchInLink !== null && row.batch_code !== null && batchInLink !== row.batch_code) return { found: false, reason: 'batch_mismatch' };
    // The counts are of the queries before this one; then this one is recorded (batched with others, see recorder).
    const counts = await sql<{ previous: number; provinces: number; first_at: Date | null }>`
      select (select count(*)::int from (select 1 from consumer_queries where epc = ${epc} limit ${COUNT_CAP}) x) as previous,
        (select count(distinct province_code)::int from (select province_code from consumer_queries where epc = ${epc} and province_code is not null limit ${COUNT_CAP}) x) as provinces,
        (select min(at) from consumer_queries where epc = ${epc}) as first_at`.execute(db);
    const queryId = crypto.randomUUID();
    await recorder.record({ id: queryId, epc, client_hash: crypto.createHash('sha256').update(client.ip).digest('hex').slice(0, 16), user_agent: client.userAgent.slice(0, 200) });
    const row2 = { ...row, ...counts.rows[0]!, query_id: queryId };
    const p = await places();
    const chain: ChainStep[] = [];
    for (const i of row.inputs ?? []) {
      const farm = i.farm_id ? p.byId.get(i.farm_id) : undefined;
      const feed = i.data.feed as Record<string, unknown> | null | undefined;
      chain.push({
        stage: 'farm',
        at: i.milked_at,
        place: farm ? `${farm.name}（${farm.region}）` : null,
        detail: [i.material, feed && typeof feed.alfalfa_pct === 'number' ? `alfalfa ${feed.alfalfa_pct}%` : null].filter(Boolean).join(' · ') || null,
      });
    }
    const factory = row.factory_id ? p.byId.get(row.factory_id) : undefined;
    let shipped = false;
    for (const e of row.events ?? []) {
      const here = e.loc ? p.byGln.get(glnOf(e.loc) ?? '') : undefined;
      const region = here ? (here.kind === 'dealer' || here.kind === 'store' ? here.region : `${here.name}（${here.region}）`) : null;
      if (e.step === 'commissioning' && !chain.some((s) => s.stage === 'factory')) {
        chain.push({ stage: 'factory', at: e.at, place: region ?? (factory ? `${factory.name}（${factory.region}）` : null), detail: null });
        if (row.steril && Number(row.steril.readings) > 0) {
          chain.push({ stage: 'sterilisation', at: null, place: null, detail: row.steril.max_t !== null ? `${row.steril.max_t} ${row.steril.unit ?? ''}`.trim() : null });
        }
        for (const q of row.reports ?? []) chain.push({ stage: 'qc', at: q.at, place: null, detail: q.result });
      } else if (e.step === 'shipping' && !shipped) {
        shipped = true;
        chain.push({ stage: 'warehouse', at: e.at, place: region, detail: null });
        const dest = e.dest ? p.byGln.get(glnOf(e.dest) ?? '') : undefined;
        if (dest) chain.push({ stage: dest.kind === 'store' ? 'store' : 'dealer', at: null, place: dest.region, detail: null });
      } else if (e.step === 'receiving' && here && (here.kind === 'dealer' || here.kind === 'store')) {
        const last = chain.at(-1);
        if (last && last.stage === here.kind && last.at === null) last.at = e.at;
        else chain.push({ stage: here.kind === 'store' ? 'store' : 'dealer', at: e.at, place: here.region, detail: null });
      } else if (e.step === 'retail_selling') {
        chain.push({ stage: 'sold', at: e.at, place: here?.kind === 'store' ? here.region : null, detail: null });
      }
    }
    const previous = Number(row2.previous);
    const provinces = Number(row2.provinces);
    // A first query reassures; many queries, or queries from several provinces, mean the code was copied.
    const verdict = previous === 0 ? 'first' : previous >= 20 || provinces >= 3 ? 'suspicious' : previous >= 6 || provinces >= 2 ? 'caution' : 'repeat';
    return {
      found: true,
      trace: {
        code: { gtin, serial, batch: row.batch_code, state: row.state },
        product: { name: row.name, nameEn: row.name_en, category: row.category },
        batch: row.batch_id ? { code: row.batch_code!, productionDate: row.production_date, expiryDate: row.expiry_date, recalled: row.batch_status === 'recalled', held: row.batch_status === 'held' } : null,
        chain,
        qcReports: (row.reports ?? []).map((q) => ({ id: q.id, result: q.result, fileName: q.file_name, at: q.at })),
        sterilisation: row.steril && Number(row.steril.readings) > 0 ? { readings: Number(row.steril.readings), outOfLimits: Number(row.steril.out), maxTemperature: row.steril.max_t, unit: row.steril.unit } : null,
        authenticity: { verdict, previousQueries: previous, provinces, firstQueryAt: row2.first_at ? new Date(row2.first_at).toISOString() : null },
        queryId: row2.query_id,
      },
    };
  }

  /** Attaches the consumer's location (when they allowed it) to their query: nearest county seat. */
  async function locate(queryId: string, lat: number, lng: number): Promise<boolean> {
    const r = await sql`
      update consumer_queries q set lat = ${lat}, lng = ${lng}, region_code = n.code, province_code = n.province_code
      from (select code, province_code from regions where level = 'county' and lat is not null
            order by (lat - ${lat}) ^ 2 + ((lng - ${lng}) * cos(radians(${lat}))) ^ 2 limit 1) n
      where q.id = ${queryId} and q.lat is null and q.at > now() - interval '1 hour'`.execute(db);
    return Number(r.numAffectedRows ?? 0) > 0;
  }

  return { lookup, locate };
}

export type TraceLookup = ReturnType<typeof createTraceLookup>;

interface QueryRow {
  id: string;
  epc: string;
  client_hash: string;
  user_agent: string;
}

/**
 * Records consumer queries in small batches: requests arriving within a few milliseconds share one INSERT, and each
 * request resolves once its row is committed. A consumer query is a statistic, not a business event, so its commit
 * does not wait for the WAL flush (synchronous_commit off for that transaction only).
 */
function createQueryRecorder(db: Db, lingerMs = 2, maxRows = 500) {
  let pending: { row: QueryRow; done: (err?: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | null = null;
  async function flush() {
    timer = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      await db.transaction().execute(async (trx) => {
        await sql`select set_config('synchronous_commit', 'off', true)`.execute(trx);
        await sql`insert into consumer_queries (id, epc, client_hash, user_agent)
          select id, epc, client_hash, user_agent from jsonb_to_recordset(${JSON.stringify(batch.map((b) => b.row))}::jsonb)
          as v(id uuid, epc text, client_hash text, user_agent text)`.execute(trx);
      });
      for (const b of batch) b.done();
    } catch (err) {
      for (const b of batch) b.done(err);
    }
  }
  return {
    record(row: QueryRow): Promise<void> {
      return new Promise((resolve, reject) => {
        pending.push({ row, done: (err) => (err ? reject(err) : resolve()) });
        if (pending.length >= maxRows) void flush();
        else if (!timer) timer = setTimeout(() => void flush(), lingerMs);
      });
    },
  };
}
