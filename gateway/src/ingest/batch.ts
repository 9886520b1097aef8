import {
  parsePayload,
  parseTopic,
  type ProductionMessage,
  type ReadingMessage,
  type RejectMessage,
  type ScanMessage,
  setBounded,
  type StatusMessage,
  type UpChannel,
} from '@cradle/protocol';
import { sql, type Transaction } from 'kysely';
import type { Database, Db } from '../platform/db';
import { insertFirst, onConflictDoNothing } from '../platform/db/insert-first';
import { textColumn } from '../platform/db/text-column';
import type { EventToStore } from '../epcis/repository';
import { traceChanged } from '../trace/changes';
import { sglnOf } from '../trace/epc';
import { recordEvents } from '../trace/record';
import { SCAN_STEPS, type ScanOutcome, type ScanStep, scanToEvents } from './scan-events';
import { type BatchTurn, FREE_TURN } from './turns';

/** One MQTT message as received: topic and raw payload; `prepared` once `prepareMessage` has seen it. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  prepared?: Prepared;
}

/** What can be worked out for a message before its batch's transaction: the parse, and for a scan its events. */
interface Prepared {
  parse: ReturnType<typeof parse>;
  /** The scan's events as built for the device, scanner step and order destination in `key`. */
  scan?: { inputs: ScanInputs; outcome: ScanOutcome };
}

/**
 * What the last batches read about devices, scanner steps and dispatch orders: used only to build a scan's events
 * speculatively when the message arrives (parse, EPCIS event, GS1 hash: the CPU-heavy part), while the previous
 * batch is in the database. The batch re-reads all of it in its transaction and rebuilds any scan whose inputs differ.
 */
export interface IngestHints {
  devices: Map<string, DeviceRow>;
  steps: Map<string, ScanStep | null>;
  destinations: Map<string, string | null>;
}

export function createIngestHints(): IngestHints {
  return { devices: new Map(), steps: new Map(), destinations: new Map() };
}

const HINTS_LIMIT = 10_000;
function remember<K, V>(m: Map<K, V>, k: K, v: V): void {
  setBounded(m, HINTS_LIMIT, k, v);
}

/** What a scan's events are built from besides the message: its device's site, the scanner's step, the order's destination. */
interface ScanInputs {
  siteId: string;
  siteKind: string;
  gln: string | null;
  step: ScanStep | null;
  destination: string | null;
}

const sameScanInputs = (a: ScanInputs, d: DeviceRow, step: ScanStep | null, destination: string | null) =>
  a.siteId === d.site_id && a.siteKind === d.site_kind && a.gln === d.gln && a.step === step && a.destination === destination;

const NO_PAYLOAD = Buffer.alloc(0);

/** Parses a message (and builds a scan's events when the hints allow) as it arrives; never throws. */
export function prepareMessage(m: InboundMessage, hints: IngestHints): void {
  try {
    const p = parse(m);
    m.prepared = { parse: p };
    // The parse is what the batch reads: the bytes are let go now. MQTT.js hands the payload out as a view on the socket
    // chunk it arrived in, so a message waiting for its batch would keep that whole chunk alive besides its parsed form.
    m.payload = NO_PAYLOAD;
    if (!p.ok || p.value.channel !== 'scan') return;
    const msg = p.value.msg;
    const d = hints.devices.get(msg.deviceId);
    if (!d || d.status !== 'active' || d.site_code !== msg.siteId || !hints.steps.has(msg.scannerId)) return;
    const orderId = msg.context?.orderId;
    if (orderId && !hints.destinations.has(orderId)) return;
    const step = hints.steps.get(msg.scannerId) ?? null;
    const destination = orderId ? (hints.destinations.get(orderId) ?? null) : null;
    const outcome = scanToEvents(msg, { id: d.site_id, kind: d.site_kind, gln: d.gln }, step, () => ({ destination }));
    m.prepared.scan = { inputs: { siteId: d.site_id, siteKind: d.site_kind, gln: d.gln, step, destination }, outcome };
  } catch {
    m.prepared = undefined;
  }
}

type Parsed =
  | { channel: 'scan'; msg: ScanMessage }
  | { channel: 'reject'; msg: RejectMessage }
  | { channel: 'reading'; msg: ReadingMessage }
  | { channel: 'production'; msg: ProductionMessage }
  | { channel: 'status'; msg: StatusMessage };

export interface BatchOutcome {
  received: number;
  applied: number;
  duplicates: number;
  refused: number;
  events: number;
  anomalies: number;
}

interface Problem {
  device_code: string;
  site_code: string | null;
  kind: string;
  detail: string;
  topic: string | null;
  source_id: string | null;
}

interface DeviceRow {
  code: string;
  status: string;
  config: unknown;
  kind: string;
  site_code: string;
  site_id: string;
  site_kind: string;
  gln: string | null;
}

const MAX_DETAIL = 500;
const clip = (s: string) => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}…` : s);

/** Parses what can be checked without the database: topic, JSON, the cradle/v1 schema, topic ↔ payload identity. */
function parse(m: InboundMessage): { ok: true; value: Parsed & { topic: string } } | { ok: false; problem: Problem } {
  const t = parseTopic(m.topic);
  const parts = m.topic.split('/');
  const deviceGuess = (parts[3] ?? 'unknown').slice(0, 64);
  const siteGuess = parts[2]?.slice(0, 64) ?? null;
  const refuse = (kind: string, detail: string, sourceId: string | null = null) => ({
    ok: false as const,
    problem: { device_code: deviceGuess, site_code: siteGuess, kind, detail: clip(detail), topic: m.topic.slice(0, 200), source_id: sourceId },
  });
  if (!t.ok) return refuse('invalid_topic', t.error.message);
  if (t.value.channel === 'command') return refuse('invalid_topic', 'command messages go down to devices; the gateway does not ingest them');
  const channel = t.value.channel as UpChannel;
  const r = parsePayload(channel, m.payload.toString('utf8'));
  if (!r.ok) return refuse('invalid_payload', `${r.error.message}${r.error.issues ? ` ${r.error.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}` : ''}`);
  const msg = r.value;
  if (msg.siteId !== t.value.siteId || msg.deviceId !== t.value.deviceId) {
    return refuse('topic_mismatch', `payload says ${msg.siteId}/${msg.deviceId} but was published on ${t.value.siteId}/${t.value.deviceId}`, msg.id);
  }
  return { ok: true, value: { channel, msg, topic: m.topic } as Parsed & { topic: string } };
}

// A module-level function, not a closure made per message: this loop runs for every message (and where esbuild's
// keepNames is on, as under tsx, each closure is also named as it is made).
const refusal = (v: { msg: { deviceId: string; siteId: string; id: string }; topic: string }, kind: string, detail: string): Problem => ({
  device_code: v.msg.deviceId, site_code: v.msg.siteId, kind, detail, topic: v.topic, source_id: v.msg.id,
});

/** Problems that refuse a message (counted as the device's rejected messages), not notes about accepted ones. */
const NOT_REFUSALS = new Set(['seq_gap', 'scan_rejected', 'unidentified_read', 'release_refused']);

/**
 * Ingests a batch of MQTT messages in one transaction: refuses what breaks the contract (recorded as device
 * problems), skips what was ingested before (source event id; EPCIS event hash), tracks sequence gaps per device,
 * and applies scans, readings, production records and status. The caller acknowledges the messages after this
 * resolves, so a crash before commit makes the broker deliver them again. With `turn`, the transaction runs behind
 * the batch before it (turns.ts): its stages in that batch's wake, its commit after that batch's.
 */
export async function ingestBatch(db: Db, messages: readonly InboundMessage[], hints: IngestHints = createIngestHints(), turn: BatchTurn = FREE_TURN): Promise<BatchOutcome> {
  const out: BatchOutcome = { received: messages.length, applied: 0, duplicates: 0, refused: 0, events: 0, anomalies: 0 };
  const problems: Problem[] = [];
  const valid: (Parsed & { topic: string; prepared: Prepared['scan'] })[] = [];
  const ids = new Set<string>();
  for (const m of messages) {
    const p = m.prepared?.parse ?? parse(m);
    if (!p.ok) {
      problems.push(p.problem);
      continue;
    }
    if (ids.has(p.value.msg.id)) {
      out.duplicates++;
      continue;
    }
    ids.add(p.value.msg.id);
    valid.push({ ...p.value, prepared: m.prepared?.scan });
  }

  let touched: string[] = [];
  let batchesMoved = false;
  await db.transaction().execute(async (trx) => {
    const deviceCodes = [...new Set(valid.map((v) => v.msg.deviceId))];
    // The scanners named by scans are devices too (their config may set the bizStep): read in the same statement.
    const scannerIds = valid.flatMap((v) => (v.channel === 'scan' ? [v.msg.scannerId] : []));
    const devices = new Map<string, DeviceRow>();
    if (deviceCodes.length) {
      const rows = await trx
        .selectFrom('devices')
        .innerJoin('parties', 'parties.id', 'devices.site_id')
        .select(['devices.code', 'devices.status', 'devices.kind', 'devices.config', 'parties.code as site_code', 'parties.id as site_id', 'parties.kind as site_kind', 'parties.gln'])
        .where('devices.code', 'in', [...new Set([...deviceCodes, ...scannerIds])])
        .execute();
      for (const r of rows) {
        devices.set(r.code, r);
        remember(hints.devices, r.code, r);
      }
      for (const code of deviceCodes) if (!devices.has(code)) hints.devices.delete(code);
    }
    const accepted: (Parsed & { topic: string; device: DeviceRow; prepared: Prepared['scan'] })[] = [];
    for (const v of valid) {
      const d = devices.get(v.msg.deviceId);
      if (!d) problems.push(refusal(v, 'unknown_device', `no device ${v.msg.deviceId} is registered`));
      else if (d.status !== 'active') problems.push(refusal(v, 'revoked_device', `device ${d.code} is ${d.status}; its messages are not accepted`));
      else if (d.site_code !== v.msg.siteId) problems.push(refusal(v, 'site_mismatch', `device ${d.code} belongs to site ${d.site_code}, not ${v.msg.siteId}`));
      else accepted.push({ ...v, device: d });
    }

    // Idempotency on the source event id: only the first delivery of each id goes further.
    await turn.enter('ledger');
    let fresh: typeof accepted = [];
    if (accepted.length) {
      // Answered with the ids already in the ledger (normally none), as sent, rather than with every new one: a row per
      // message was a good part of what the gateway parsed per batch.
      // A plain insert unless a message is redelivered (insertFirst): the guarded one skips the ids already held.
      const seen = await insertFirst(trx, accepted.length, (guarded) => sql<{ source_id: string }>`
        with v as (
          select * from rows from (${textColumn(accepted.map((a) => a.msg.id))}, ${textColumn(accepted.map((a) => a.device.code))},
            ${textColumn(accepted.map((a) => a.channel))}, ${textColumn(accepted.map((a) => a.msg.seq))}) as v(source_id, device_code, channel, seq)
        ), ins as (
          insert into ingest_messages (source_id, device_code, channel, seq)
          select v.source_id::uuid, v.device_code, v.channel, v.seq::bigint from v
          ${onConflictDoNothing(guarded)} returning source_id
        )
        select v.source_id from v where v.source_id::uuid not in (select source_id from ins)`.execute(trx));
      if (seen.rows.length === 0) fresh = accepted;
      else {
        const old = new Set(seen.rows.map((r) => r.source_id));
        fresh = accepted.filter((a) => !old.has(a.msg.id));
      }
      out.duplicates += accepted.length - fresh.length;
    }
    out.applied = fresh.length;

    await turn.enter('records');
    for (const f of fresh) {
      if (f.channel === 'reject') {
        problems.push({ device_code: f.device.code, site_code: f.device.site_code, kind: 'scan_rejected', detail: clip(`${f.msg.scannerId}: ${f.msg.code} ${f.msg.message} (raw ${JSON.stringify(f.msg.raw.slice(0, 80))})`), topic: f.topic, source_id: f.msg.id });
      }
    }
    const readings = fresh.filter((f): f is Extract<typeof f, { channel: 'reading' }> => f.channel === 'reading');
    if (readings.length) {
      const rows = readings.map((r) => ({
        source_id: r.msg.id,
        site_id: r.device.site_id,
        device_code: r.device.code,
        batch_code: r.msg.batch ?? null,
        name: r.msg.name,
        value: r.msg.value,
        unit: r.msg.unit,
        quality: r.msg.quality,
        out_of_limits: r.msg.outOfLimits ?? false,
        limits: r.msg.limits ?? null,
        at: r.msg.sourceTime ?? r.msg.ts,
      }));
      await sql`
        insert into batch_readings (source_id, site_id, device_code, batch_code, name, value, unit, quality, out_of_limits, limits, at)
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(source_id uuid, site_id uuid, device_code text, batch_code text,
          name text, value double precision, unit text, quality text, out_of_limits boolean, limits jsonb, at timestamptz)
        on conflict do nothing`.execute(trx);
    }
    for (const f of fresh) {
      if (f.channel !== 'production') continue;
      await applyProduction(trx, f.msg, f.device, problems);
      batchesMoved = true;
    }

    const scans = fresh.filter((f): f is Extract<typeof f, { channel: 'scan' }> => f.channel === 'scan');
    if (scans.length) {
      const r = await applyScans(trx, scans, problems, hints, devices, turn);
      out.events = r.events;
      out.anomalies = r.anomalies;
      touched = r.touched;
    }

    // The device streams last: their rows are what every batch of a device locks, so they are held for the shortest
    // time, and the next batch can store its events meanwhile.
    await turn.enter('streams');
    const refusedBy = new Map<string, number>();
    for (const p of problems) if (!NOT_REFUSALS.has(p.kind) && devices.has(p.device_code)) refusedBy.set(p.device_code, (refusedBy.get(p.device_code) ?? 0) + 1);
    await trackStreams(trx, fresh, refusedBy, devices, problems);

    if (problems.length) {
      await sql`
        insert into device_problems (device_code, site_code, kind, detail, topic, source_id)
        select device_code, site_code, kind, detail, topic, source_id
        from jsonb_to_recordset(${JSON.stringify(problems)}::jsonb) as v(device_code text, site_code text, kind text, detail text, topic text, source_id uuid)`.execute(trx);
    }
    await turn.beforeCommit();
  });
  // Committed: readers caching per code (the consumer lookup) drop what changed.
  traceChanged(batchesMoved ? null : touched);
  out.refused = problems.filter((p) => !NOT_REFUSALS.has(p.kind)).length;
  return out;
}

/**
 * Per device: received and rejected counts, highest seq, and the holes in the sequence (a late message fills its
 * hole). The rows are locked in device order, so batches of many devices never deadlock each other.
 */
async function trackStreams(
  trx: Transaction<Database>,
  fresh: readonly (Parsed & { device: DeviceRow })[],
  refusedBy: ReadonlyMap<string, number>,
  devices: ReadonlyMap<string, DeviceRow>,
  problems: Problem[],
): Promise<void> {
  const byDevice = new Map<string, (Parsed & { device: DeviceRow })[]>();
  for (const f of fresh) (byDevice.get(f.device.code) ?? byDevice.set(f.device.code, []).get(f.device.code)!).push(f);
  const codes = [...new Set([...byDevice.keys(), ...refusedBy.keys()])].sort();
  if (codes.length === 0) return;
  // A device's first messages find no row to lock: made first (an insert racing another replica's waits for its
  // commit), so two replicas' first batches of a device are still tracked one after the other, not both from zero.
  await sql`
    insert into device_streams (device_code, site_code)
    select * from unnest(${codes}::text[], ${codes.map((c) => devices.get(c)!.site_code)}::text[])
    on conflict (device_code) do nothing`.execute(trx);
  const current = await sql<{ device_code: string; max_seq: number | string }>`
    select device_code, max_seq from device_streams where device_code = any(${codes}::text[]) order by device_code for update`.execute(trx);
  const maxSeq = new Map(current.rows.map((r) => [r.device_code, Number(r.max_seq)]));
  const rows: { device_code: string; max_seq: number; received: number; rejected: number; missing: number; status: string | null; detail: unknown; status_at: string | null; seen: string | null }[] = [];
  // The holes opened and the late arrivals of every device in the batch, each written in one statement: with replicas
  // sharing the stream (MQTT 5 $share/ hands the messages out in turn), most of a replica's messages open or fill a
  // hole, and a statement per message cost more than the rest of the batch.
  const gaps: { code: string; from: number; to: number }[] = [];
  const late: { code: string; seq: number }[] = [];
  for (const code of codes) {
    const list = byDevice.get(code) ?? [];
    const device = devices.get(code)!;
    let max = maxSeq.get(code) ?? 0;
    let missing = 0;
    // Status is state, not an event: its seq is the device's high-water mark, outside the gap-free sequence.
    const seqs = list.filter((f) => f.channel !== 'status').map((f) => f.msg.seq).sort((a, b) => a - b);
    const holes: { range: string; next: number }[] = [];
    for (const s of seqs) {
      if (s > max + 1) {
        gaps.push({ code, from: max + 1, to: s - 1 });
        holes.push({ range: `${max + 1}–${s - 1}`, next: s });
        missing += s - 1 - max;
      }
      // A seq at or below the high-water mark is late (it may fill a hole opened by an earlier batch; a hole this batch
      // opens lies above the old mark, so no late seq of this batch falls in it).
      if (s > max) max = s;
      else late.push({ code, seq: s });
    }
    // One problem per device and batch, however many holes: with replicas sharing the stream a batch may see hundreds.
    if (holes.length === 1) {
      problems.push({ device_code: code, site_code: device.site_code, kind: 'seq_gap', detail: `messages ${holes[0]!.range} have not arrived (next seen: ${holes[0]!.next})`, topic: null, source_id: null });
    } else if (holes.length > 1) {
      const detail = `${missing} messages in ${holes.length} holes have not arrived: ${holes.map((h) => h.range).join(', ')}`;
      problems.push({ device_code: code, site_code: device.site_code, kind: 'seq_gap', detail: clip(detail), topic: null, source_id: null });
    }
    const status = [...list].reverse().find((f): f is Extract<typeof f, { channel: 'status' }> => f.channel === 'status');
    rows.push({
      device_code: code,
      max_seq: max,
      received: seqs.length,
      rejected: refusedBy.get(code) ?? 0,
      missing,
      status: status?.msg.state ?? null,
      detail: status?.msg.detail ?? null,
      status_at: status?.msg.ts ?? null,
      seen: latest(list.map((f) => f.msg.ts)),
    });
  }
  if (gaps.length) {
    await sql`
      insert into device_seq_gaps (device_code, from_seq, to_seq)
      select v.device_code, v.from_seq::bigint, v.to_seq::bigint
      from rows from (${textColumn(gaps.map((g) => g.code))}, ${textColumn(gaps.map((g) => g.from))}, ${textColumn(gaps.map((g) => g.to))}) as v(device_code, from_seq, to_seq)`.execute(trx);
  }
  if (late.length) {
    // Each late seq inside a hole fills it once (a seq twice in the batch, once); the device's missing count drops by
    // the seqs that filled something.
    // The holes of a device never overlap (each opens above the high-water mark), so a seq's hole is the one that
    // starts last at or below it: one index probe per seq, however many holes the device has. A hole whose every seq
    // has arrived is deleted (its seq_gap problem stays in the device's history): only open holes are kept, which with
    // replicas sharing the stream (a hole for most messages, filled a moment later) keeps the table small.
    const fills = await sql<{ device_code: string; n: number }>`
      with l as (select v.device_code, v.seq::bigint as seq from rows from (${textColumn(late.map((l) => l.code))}, ${textColumn(late.map((l) => l.seq))}) as v(device_code, seq)),
      hit as (
        select h.id, l.device_code, count(distinct l.seq)::int as n, min(h.filled) as filled, min(h.size) as size
        from l cross join lateral (
          select g.id, g.to_seq, g.filled, g.to_seq - g.from_seq + 1 as size from device_seq_gaps g
          where g.device_code = l.device_code and g.from_seq <= l.seq order by g.from_seq desc limit 1) h
        where l.seq <= h.to_seq
        group by h.id, l.device_code),
      closed as (delete from device_seq_gaps g using hit where g.id = hit.id and hit.filled + hit.n >= hit.size returning hit.device_code, hit.n),
      open as (update device_seq_gaps g set filled = g.filled + hit.n from hit where g.id = hit.id and hit.filled + hit.n < hit.size returning hit.device_code, hit.n)
      select device_code, sum(n)::int as n from (select * from closed union all select * from open) f group by device_code`.execute(trx);
    const filledBy = new Map(fills.rows.map((r) => [r.device_code, Number(r.n)]));
    for (const r of rows) r.missing -= filledBy.get(r.device_code) ?? 0;
  }
  // The rows exist (made above, before the lock). A device that sent refused messages was seen now (their timestamps
  // are not to be trusted).
  await sql`
    update device_streams s set
      max_seq = greatest(s.max_seq, v.max_seq),
      received = s.received + v.received,
      rejected = s.rejected + v.rejected,
      missing = s.missing + v.missing,
      last_status = case when v.status is not null and (s.last_status_at is null or v.status_at >= s.last_status_at) then v.status else s.last_status end,
      last_status_detail = case when v.status is not null and (s.last_status_at is null or v.status_at >= s.last_status_at) then v.detail else s.last_status_detail end,
      last_status_at = greatest(s.last_status_at, v.status_at),
      last_seen_at = case when v.rejected > 0 then now() else greatest(s.last_seen_at, v.seen) end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(device_code text, max_seq bigint, received bigint, rejected bigint, missing bigint,
      status text, detail jsonb, status_at timestamptz, seen timestamptz)
    where s.device_code = v.device_code`.execute(trx);
}

/** The latest of ISO-8601 UTC timestamps (they order as strings), or null. */
function latest(ts: readonly string[]): string | null {
  let max: string | null = null;
  for (const t of ts) if (max === null || t > max) max = t;
  return max;
}

const NEXT_STATUS: Record<ProductionMessage['kind'], string> = {
  batch_started: 'open',
  batch_completed: 'completed',
  batch_aborted: 'aborted',
  batch_held: 'held',
  batch_released: 'released',
};

/** A production record creates or advances the batch; a device cannot release a batch whose sterilisation went out of limits. */
async function applyProduction(trx: Transaction<Database>, msg: ProductionMessage, device: DeviceRow, problems: Problem[]): Promise<void> {
  const productionDate = msg.productionDate ?? msg.ts.slice(0, 10);
  await sql`
    insert into batches (gtin, code, factory_id, line, production_date, expiry_date, status, details)
    values (${msg.gtin}, ${msg.batch}, ${device.site_id}, ${msg.line ?? null}, ${productionDate}::date,
      coalesce(${msg.expiryDate ?? null}::date, ${productionDate}::date + (select shelf_life_days from skus where gtin = ${msg.gtin})),
      'open', ${JSON.stringify(msg.details ?? {})}::jsonb)
    on conflict (gtin, code) do update set
      line = coalesce(batches.line, excluded.line),
      factory_id = coalesce(batches.factory_id, excluded.factory_id),
      expiry_date = coalesce(${msg.expiryDate ?? null}::date, batches.expiry_date),
      details = batches.details || excluded.details,
      updated_at = now()`.execute(trx);
  if (msg.kind === 'batch_started') return;
  if (msg.kind === 'batch_released') {
    const flagged = await sql<{ n: number }>`
      select count(*)::int as n from batch_readings where batch_code = ${msg.batch} and site_id = ${device.site_id} and out_of_limits`.execute(trx);
    const b = await trx.selectFrom('batches').select(['release_override']).where('gtin', '=', msg.gtin).where('code', '=', msg.batch).executeTakeFirstOrThrow();
    if ((flagged.rows[0]?.n ?? 0) > 0 && !b.release_override) {
      problems.push({ device_code: device.code, site_code: device.site_code, kind: 'release_refused', detail: `batch ${msg.batch}: sterilisation went out of limits; release needs an override with a reason at HQ`, topic: null, source_id: msg.id });
      return;
    }
  }
  await trx
    .updateTable('batches')
    .set({ status: NEXT_STATUS[msg.kind] as 'open', updated_at: new Date() })
    .where('gtin', '=', msg.gtin)
    .where('code', '=', msg.batch)
    .where('status', 'not in', ['recalled', 'released'])
    .execute();
}

/** Scans become EPCIS events (stored once, by source id and event hash) and drive the code lifecycle. */
async function applyScans(
  trx: Transaction<Database>,
  scans: readonly { msg: ScanMessage; device: DeviceRow; topic: string; prepared: Prepared['scan'] }[],
  problems: Problem[],
  hints: IngestHints,
  known: ReadonlyMap<string, DeviceRow>,
  turn: BatchTurn,
): Promise<{ events: number; anomalies: number; touched: string[] }> {
  const scannerIds = [...new Set(scans.map((s) => s.msg.scannerId))];
  const steps = new Map<string, ScanStep>();
  const configs = scannerIds.flatMap((id) => {
    const d = known.get(id);
    return d ? [{ code: id, config: d.config }] : [];
  });
  for (const c of configs) {
    const step = (c.config as { bizStep?: unknown }).bizStep;
    if (typeof step === 'string' && (SCAN_STEPS as readonly string[]).includes(step)) steps.set(c.code, step as ScanStep);
  }
  for (const id of scannerIds) remember(hints.steps, id, steps.get(id) ?? null);
  const orderIds = [...new Set(scans.map((s) => s.msg.context?.orderId).filter((o): o is string => !!o))];
  const destinations = new Map<string, string | null>();
  if (orderIds.length) {
    const rows = await trx
      .selectFrom('dispatch_bindings')
      .innerJoin('parties', 'parties.id', 'dispatch_bindings.destination_id')
      .select(['dispatch_bindings.order_id', 'parties.gln'])
      .where('dispatch_bindings.order_id', 'in', orderIds)
      .execute();
    for (const r of rows) destinations.set(r.order_id, sglnOf(r.gln));
    for (const o of orderIds) remember(hints.destinations, o, destinations.get(o) ?? null);
  }
  const items: EventToStore[] = [];
  for (const s of scans) {
    const site = { id: s.device.site_id, kind: s.device.site_kind, gln: s.device.gln };
    const step = steps.get(s.msg.scannerId) ?? null;
    const orderId = s.msg.context?.orderId;
    // The events built when the message arrived, if they were built from what this transaction reads.
    const r =
      s.prepared && sameScanInputs(s.prepared.inputs, s.device, step, orderId ? (destinations.get(orderId) ?? null) : null)
        ? s.prepared.outcome
        : scanToEvents(s.msg, site, step, (o) => ({ destination: destinations.get(o) ?? null }));
    if (r.kind === 'unidentified') {
      problems.push({ device_code: s.device.code, site_code: s.device.site_code, kind: 'unidentified_read', detail: clip(r.detail), topic: s.topic, source_id: s.msg.id });
    } else if (r.kind === 'events') {
      // Built with eventId 'hash': the eventID is the GS1 event hash, so the repository need not compute it again.
      for (const event of r.events) items.push({ event: event as Record<string, unknown>, sourceId: s.msg.id, hash: String(event.eventID) });
    }
  }
  if (items.length === 0) return { events: 0, anomalies: 0, touched: [] };
  const result = await recordEvents(trx, items, { beforeLifecycle: () => turn.enter('codes') });
  return { events: result.stored.length, anomalies: result.lifecycle.anomalies.length, touched: result.lifecycle.touched };
}
