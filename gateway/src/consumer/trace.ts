import crypto from 'node:crypto';
import { setBounded } from '@cradle/protocol';
import DataLoader from 'dataloader';
import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { onTraceChange } from '../trace/changes';
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

export type LookupResult =
  | { found: false; reason: 'not_issued' | 'not_activated' | 'batch_mismatch' }
  /** `json()`: the trace as the resolver's JSON body (QC reports with their href), mostly pre-serialised per code. */
  | { found: true; trace: ConsumerTrace; json: () => string };

interface PartyInfo {
  kind: string;
  name: string;
  region: string;
}

interface Places {
  at: number;
  byGln: Map<string, PartyInfo>;
  byId: Map<string, PartyInfo>;
}

const TTL_MS = 60_000;
/** Counting stops here: the verdict needs no more, and a copied code scanned a million times must not slow its page. */
const COUNT_CAP = 100;
/**
 * How long a code's assembled trace and its query counters are served from memory. Events applied in this process
 * drop the code at once (trace/changes.ts); what other replicas write (events, queries, shared locations) and direct
 * database edits (a recall) show after at most this long.
 */
const CODE_TTL_MS = 10_000;
const READ_BATCH = 500;
const MAX_CACHED_CODES = 200_000;

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
  previous: number;
  provinces: number;
  first_at: Date | string | null;
}

interface CodeRow {
  state: string;
  batch_code: string | null;
  /** Read with the can, not with the batch's cached part: a recall or hold shows on every can's next read. */
  batch_status: string | null;
  gtin: string | null;
  events: StaticRow['events'];
  previous: number;
  provinces: number;
  first_at: Date | string | null;
}
type BatchRow = Omit<StaticRow, keyof CodeRow>;

/** One code in memory: its trace without the per-query parts, and its authenticity counters. */
interface CodeEntry {
  at: number;
  state: string;
  batchCode: string | null;
  base: Omit<ConsumerTrace, 'authenticity' | 'queryId'> | null;
  /** JSON of `base` (QC reports with href) without the closing brace, made on first use. */
  json: string | null;
  /** Queries of this code before the next one: the database's count when read, plus this process's since. */
  previous: number;
  provinces: number;
  firstAt: string | null;
}

/**
 * The consumer trace of a can. A code's chain (code, product, batch, events of the can and of every case/pallet it
 * was packed in, farm inputs, sterilisation, QC) and its query counters are read in one statement and kept in
 * memory per code (CODE_TTL_MS, dropped at once when this process applies events to the code); each query then
 * only bumps the in-memory counter and hands its row to the batched recorder. Parties, regions and SKUs change
 * rarely, so their names are cached for a minute.
 */
export function createTraceLookup({ db }: { db: Db }) {
  let parties: Places | null = null;
  let partiesLoading: Promise<Places> | null = null;
  const recorder = createQueryRecorder(db);
  const cache = new Map<string, CodeEntry>();
  const loading = new Map<string, Promise<CodeEntry | null>>();
  /** Bumped by every invalidation: a read that started before one is not cached (it may predate the change). */
  let generation = 0;
  const batchCache = new Map<string, { at: number; row: BatchRow }>();
  const batchLoading = new Map<string, Promise<BatchRow | undefined>>();
  onTraceChange((epcs) => {
    generation += 1;
    if (epcs === null) {
      cache.clear();
      batchCache.clear();
    }
    else for (const epc of epcs) cache.delete(epc);
  });

  async function loadPlaces(): Promise<Places> {
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
  async function places(): Promise<Places> {
    if (parties && Date.now() - parties.at < TTL_MS) return parties;
    partiesLoading ??= loadPlaces().finally(() => (partiesLoading = null));
    return partiesLoading;
  }

  /**
   * What cans have of their own: state, batch, the events of each and of every case/pallet it was packed in, and
   * its query counts. Cans missing the cache at about the same time are read together: one statement per tick
   * (up to READ_BATCH cans), not one per request.
   */
  async function readCodes(epcs: readonly string[]): Promise<Map<string, CodeRow>> {
    // consumer_code_rows (migration 008): the statement as a PL/pgSQL function, so its plan is cached per connection.
    const r = await sql<CodeRow & { epc: string }>`select * from consumer_code_rows(${epcs}::text[], ${COUNT_CAP})`.execute(db);
    return new Map(r.rows.map((row) => [row.epc, row]));
  }
  // Loads asked for in the same turn of the event loop (every request its poll phase parsed) go in one batch.
  const codeReads = new DataLoader<string, CodeRow | undefined>(
    async (epcs) => {
      const rows = await readCodes(epcs);
      return epcs.map((epc) => rows.get(epc));
    },
    { cache: false, maxBatchSize: READ_BATCH, batchScheduleFn: (run) => setImmediate(run) },
  );
  const readCode = (epc: string): Promise<CodeRow | undefined> => codeReads.load(epc);

  /** What every can of a batch shows alike (product, batch, farm inputs, sterilisation, QC): read once per batch. */
  async function readBatch(gtin: string, batchCode: string | null): Promise<BatchRow | undefined> {
    const r = await sql<BatchRow>`
      with b as (select * from batches where gtin = ${gtin} and code = ${batchCode})
      select s.name, s.name_en, s.category,
        b.id as batch_id, b.production_date::text, b.expiry_date::text, b.factory_id,
        (select json_agg(json_build_object('farm_id', i.farm_id, 'material', i.material, 'milked_at', i.milked_at, 'data', i.data)) from batch_inputs i where i.batch_id = b.id) as inputs,
        (select json_build_object('readings', count(*), 'out', count(*) filter (where out_of_limits),
            'max_t', max(value) filter (where name like '%temperature%'), 'unit', max(unit) filter (where name like '%temperature%'))
          from batch_readings r where r.batch_code = b.code and r.site_id = b.factory_id) as steril,
        (select json_agg(json_build_object('id', qr.id, 'result', qr.result, 'file_name', qr.file_name, 'at', qr.created_at) order by qr.created_at) from qc_reports qr where qr.batch_id = b.id) as reports
      from skus s left join b on true where s.gtin = ${gtin}`.execute(db);
    return r.rows[0];
  }

  async function batchOf(gtin: string, batchCode: string | null): Promise<BatchRow | undefined> {
    const key = `${gtin}|${batchCode ?? ''}`;
    const hit = batchCache.get(key);
    if (hit && Date.now() - hit.at < CODE_TTL_MS) return hit.row;
    let running = batchLoading.get(key);
    if (!running) {
      const startedAt = generation;
      running = readBatch(gtin, batchCode)
        .then((row) => {
          if (row && startedAt === generation) {
            setBounded(batchCache, 10_000, key, { at: Date.now(), row });
          }
          return row;
        })
        .finally(() => batchLoading.delete(key));
      batchLoading.set(key, running);
    }
    return running;
  }

  /** The code's entry: from memory while fresh, else read (concurrent readers of one code share the read). */
  async function entryOf(epc: string, gtin: string): Promise<CodeEntry | null> {
    const hit = cache.get(epc);
    if (hit && Date.now() - hit.at < CODE_TTL_MS) return hit;
    const running = loading.get(epc);
    if (running) return running;
    const startedAt = generation;
    const p = (async () => {
      const code = await readCode(epc);
      if (!code) return null;
      const batchRow = code.state === 'issued' ? undefined : await batchOf(code.gtin ?? gtin, code.batch_code);
      if (code.state !== 'issued' && !batchRow) return null;
      const row: StaticRow = { ...code, ...(batchRow as BatchRow) };
      const entry: CodeEntry = {
        at: Date.now(),
        state: row.state,
        batchCode: row.batch_code,
        base: row.state === 'issued' ? null : assemble(row, gtin, epc, await places()),
        json: null,
        // Queries recorded here but not yet committed are not in the database's count.
        previous: Number(row.previous) + recorder.pendingFor(epc),
        provinces: Number(row.provinces),
        firstAt: row.first_at ? new Date(row.first_at).toISOString() : recorder.firstPendingAt(epc),
      };
      // Only live codes are kept (an issued code may be commissioned any moment), and nothing read before a change.
      if (row.state !== 'issued' && startedAt === generation) {
        if (cache.size >= MAX_CACHED_CODES) cache.delete(cache.keys().next().value!);
        cache.set(epc, entry);
      }
      return entry;
    })().finally(() => loading.delete(epc));
    loading.set(epc, p);
    return p;
  }

  function assemble(row: StaticRow, gtin: string, epc: string, p: Places): CodeEntry['base'] {
    const serial = epc.slice(epc.lastIndexOf('.') + 1);
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
    return {
      code: { gtin, serial, batch: row.batch_code, state: row.state },
      product: { name: row.name, nameEn: row.name_en, category: row.category },
      batch: row.batch_id ? { code: row.batch_code!, productionDate: row.production_date, expiryDate: row.expiry_date, recalled: row.batch_status === 'recalled', held: row.batch_status === 'held' } : null,
      chain,
      qcReports: (row.reports ?? []).map((q) => ({ id: q.id, result: q.result, fileName: q.file_name, at: q.at })),
      sterilisation: row.steril && Number(row.steril.readings) > 0 ? { readings: Number(row.steril.readings), outOfLimits: Number(row.steril.out), maxTemperature: row.steril.max_t, unit: row.steril.unit } : null,
    };
  }

  /** Looks up a can and records the query (with the client's hashed address) as input for authenticity and diversion. */
  async function lookup(gtin: string, serial: string, batchInLink: string | null, client: { ip: string; userAgent: string }): Promise<LookupResult> {
    const epc = sgtinEpc(gtin, serial);
    if (!epc) return { found: false, reason: 'not_issued' };
    const entry = await entryOf(epc, gtin);
    if (!entry) return { found: false, reason: 'not_issued' };
    if (entry.state === 'issued' || !entry.base) return { found: false, reason: 'not_activated' };
    if (batchInLink !== null && entry.batchCode !== null && batchInLink !== entry.batchCode) return { found: false, reason: 'batch_mismatch' };
    // The counts are of the queries before this one; then this one is counted and handed to the recorder.
    const previous = Math.min(entry.previous, COUNT_CAP);
    const provinces = entry.provinces;
    const firstQueryAt = entry.firstAt;
    const queryId = crypto.randomUUID();
    const now = new Date().toISOString();
    recorder.record({ id: queryId, epc, at: now, client_hash: crypto.createHash('sha256').update(client.ip).digest('hex').slice(0, 16), user_agent: client.userAgent.slice(0, 200) });
    entry.previous += 1;
    entry.firstAt ??= now;
    // A first query reassures; many queries, or queries from several provinces, mean the code was copied.
    const verdict = previous === 0 ? 'first' : previous >= 20 || provinces >= 3 ? 'suspicious' : previous >= 6 || provinces >= 2 ? 'caution' : 'repeat';
    const authenticity: ConsumerTrace['authenticity'] = { verdict, previousQueries: previous, provinces, firstQueryAt };
    const base = entry.base;
    return {
      found: true,
      trace: { ...base, authenticity, queryId },
      json: () => {
        entry.json ??= JSON.stringify({ ...base, qcReports: base.qcReports.map((q) => ({ ...q, href: `/trace/qc/${q.id}` })) }).slice(0, -1);
        return `${entry.json},"authenticity":${JSON.stringify(authenticity)},"queryId":"${queryId}"}`;
      },
    };
  }

  /** Attaches the consumer's location (when they allowed it) to their query: nearest county seat. */
  async function locate(queryId: string, lat: number, lng: number): Promise<boolean> {
    // The query may still be in the recorder's buffer: write it first.
    await recorder.flush();
    const r = await sql`
      update consumer_queries q set lat = ${lat}, lng = ${lng}, region_code = n.code, province_code = n.province_code
      from (select code, province_code from regions where level = 'county' and lat is not null
            order by (lat - ${lat}) ^ 2 + ((lng - ${lng}) * cos(radians(${lat}))) ^ 2 limit 1) n
      where q.id = ${queryId} and q.lat is null and q.at > now() - interval '1 hour'`.execute(db);
    return Number(r.numAffectedRows ?? 0) > 0;
  }

  return { lookup, locate, flush: () => recorder.flush() };
}

export type TraceLookup = ReturnType<typeof createTraceLookup>;

interface QueryRow {
  id: string;
  epc: string;
  at: string;
  client_hash: string;
  user_agent: string;
}

/** Rows kept while the database cannot take them; beyond this the oldest are dropped. */
const MAX_BUFFERED = 100_000;

/**
 * Records consumer queries in batches, off the request path: the page answers at once and the row is written with
 * the others of the same FLUSH_MS in one multi-row INSERT (unnest arrays), one flush at a time. A consumer query is
 * a statistic and diversion input, not a business event: a crash (or a stop) loses at most the last FLUSH_MS of
 * queries not yet written, and their commit does not wait for the WAL flush (synchronous_commit off for that
 * transaction only). A failed write is retried with the next flush. `flush()` writes what is buffered now (locate
 * needs its query's row).
 */
function createQueryRecorder(db: Db, flushMs = 200, maxRows = 5000) {
  let pending: QueryRow[] = [];
  /** Per code: rows recorded and not yet committed, and the earliest of them. */
  const uncommitted = new Map<string, { n: number; first: string }>();
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<void> = Promise.resolve();

  const settle = (rows: readonly QueryRow[]) => {
    for (const r of rows) {
      const u = uncommitted.get(r.epc);
      if (u && --u.n <= 0) uncommitted.delete(r.epc);
    }
  };

  async function writeOnce(): Promise<void> {
    while (pending.length) {
      const batch = pending.splice(0, maxRows);
      try {
        await db.transaction().execute(async (trx) => {
          await sql`select set_config('synchronous_commit', 'off', true)`.execute(trx);
          await sql`insert into consumer_queries (id, epc, at, client_hash, user_agent)
            select * from unnest(${batch.map((b) => b.id)}::uuid[], ${batch.map((b) => b.epc)}::text[], ${batch.map((b) => b.at)}::timestamptz[],
              ${batch.map((b) => b.client_hash)}::text[], ${batch.map((b) => b.user_agent)}::text[])`.execute(trx);
        });
        settle(batch);
      } catch {
        pending = batch.concat(pending);
        if (pending.length > MAX_BUFFERED) settle(pending.splice(0, pending.length - MAX_BUFFERED));
        return;
      }
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    chain = chain.then(writeOnce).finally(() => {
      if (pending.length) schedule();
    });
    return chain;
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(() => void flush(), flushMs);
    timer.unref();
  }

  return {
    record(row: QueryRow): void {
      pending.push(row);
      const u = uncommitted.get(row.epc);
      if (u) u.n += 1;
      else uncommitted.set(row.epc, { n: 1, first: row.at });
      if (pending.length >= maxRows) void flush();
      else schedule();
    },
    flush,
    pendingFor: (epc: string) => uncommitted.get(epc)?.n ?? 0,
    firstPendingAt: (epc: string) => uncommitted.get(epc)?.first ?? null,
  };
}
