import { buildEpcisDocument, buildObjectEvent, type EpcisEvent, sgtinToEpcUrn, ssccToEpcUrn } from '@cradle/protocol';
import type { Db } from '../platform/db';
import type { AlertKind, AlertStatus } from '../platform/db/schema';
import { conflict, HttpProblem, notFound } from '../platform/http/problem';
import type { Principal } from '../platform/http/route';

/** The workflow: open → investigating → confirmed | dismissed (open may be dismissed at once; HQ may open a watched one). */
const NEXT: Record<AlertStatus, readonly AlertStatus[]> = {
  watching: ['open', 'dismissed'],
  open: ['investigating', 'dismissed'],
  investigating: ['confirmed', 'dismissed'],
  confirmed: [],
  dismissed: [],
};

/** Compliance points a confirmed diversion costs its source dealer; the grading reads the sum over 12 months. */
export const COMPLIANCE_POINTS = { base: 10, per1000Items: 5, max: 40 } as const;

export type AlertEvent = 'opened' | `status-${AlertStatus}`;

export interface AlertFilter {
  kind?: AlertKind | undefined;
  status?: AlertStatus | undefined;
  dealer?: string | undefined;
  region?: string | undefined;
  batch?: string | undefined;
  limit: number;
  offset: number;
}

export function createAlertService(deps: { db: Db; notify: (alertId: string, kind: AlertKind, event: AlertEvent) => Promise<void> }) {
  const { db } = deps;

  /** A dealer sees an alert where it is the source (shipped the goods) or the victim (authorised where they were found). */
  function visibleTo(principal: Principal) {
    return (eb: any) => (principal.role === 'hq' ? eb.val(true) : eb.or([eb('source_dealer_id', '=', principal.partyId), eb('victim_dealer_id', '=', principal.partyId)]));
  }

  async function list(principal: Principal, f: AlertFilter) {
    let q = db.selectFrom('diversion_alerts').where(visibleTo(principal));
    if (f.kind) q = q.where('kind', '=', f.kind);
    // Watched alerts (evidence below the threshold) are HQ's working set, not yet an accusation.
    if (f.status) q = q.where('status', '=', f.status);
    else q = q.where('status', '!=', 'watching');
    if (principal.role !== 'hq') q = q.where('status', '!=', 'watching');
    if (f.dealer) q = q.where((eb) => eb.or([eb('source_dealer_id', '=', f.dealer!), eb('victim_dealer_id', '=', f.dealer!)]));
    if (f.region) q = q.where('found_region_code', '=', f.region);
    if (f.batch) q = q.where('batch', '=', f.batch);
    const [items, total] = await Promise.all([
      q.selectAll().orderBy('latest_evidence_at', 'desc').orderBy('id').limit(f.limit).offset(f.offset).execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n), limit: f.limit, offset: f.offset };
  }

  async function get(principal: Principal, id: string) {
    const alert = await db.selectFrom('diversion_alerts').selectAll().where('id', '=', id).where(visibleTo(principal)).executeTakeFirst();
    if (!alert || (principal.role !== 'hq' && alert.status === 'watching')) throw notFound(`Alert ${id}`);
    return alert;
  }

  async function details(principal: Principal, id: string) {
    const alert = await get(principal, id);
    const [notes, evidence] = await Promise.all([
      db.selectFrom('diversion_alert_notes').selectAll().where('alert_id', '=', id).orderBy('id').execute(),
      db.selectFrom('diversion_evidence').selectAll().where('alert_id', '=', id).orderBy('event_time').orderBy('event_id').limit(20).execute(),
    ]);
    return { ...alert, notes, evidence_sample: evidence };
  }

  async function update(principal: Principal, id: string, change: { status?: AlertStatus | undefined; assignee?: string | null | undefined; note?: string | undefined }) {
    const result = await db.transaction().execute(async (trx) => {
      const alert = await trx.selectFrom('diversion_alerts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!alert) throw notFound(`Alert ${id}`);
      if (change.status && change.status !== alert.status && !NEXT[alert.status].includes(change.status)) {
        throw conflict(`An alert that is ${alert.status} cannot become ${change.status}${NEXT[alert.status].length ? `; it can become ${NEXT[alert.status].join(' or ')}` : ''}`, {
          errors: [{ field: 'body.status', message: `not allowed from ${alert.status}` }],
        });
      }
      if (change.status === 'confirmed' && alert.kind === 'diversion' && !alert.source_dealer_id) {
        throw new HttpProblem('conflict', 'A diversion alert without a source dealer cannot be confirmed');
      }
      const status = change.status ?? alert.status;
      const updated = await trx
        .updateTable('diversion_alerts')
        .set({
          status,
          ...(change.assignee !== undefined ? { assignee: change.assignee } : {}),
          ...(status === 'open' && !alert.opened_at ? { opened_at: new Date() } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('diversion_alert_notes')
        .values({
          alert_id: id,
          author: principal.name,
          from_status: change.status && change.status !== alert.status ? alert.status : null,
          to_status: change.status && change.status !== alert.status ? change.status : null,
          assignee: change.assignee === undefined ? null : (change.assignee ?? '(unassigned)'),
          text: change.note ?? null,
        })
        .execute();
      if (status === 'confirmed' && alert.status !== 'confirmed' && alert.kind === 'diversion' && alert.source_dealer_id) {
        const points = Math.min(COMPLIANCE_POINTS.max, COMPLIANCE_POINTS.base + COMPLIANCE_POINTS.per1000Items * Math.floor(alert.item_count / 1000));
        await trx
          .insertInto('dealer_compliance_records')
          .values({ dealer_id: alert.source_dealer_id, alert_id: id, kind: alert.kind, item_count: alert.item_count, points, confirmed_by: principal.name })
          .onConflict((oc) => oc.column('alert_id').doNothing())
          .execute();
      }
      return { updated, changed: change.status !== undefined && change.status !== alert.status };
    });
    if (result.changed) await deps.notify(id, result.updated.kind, `status-${result.updated.status}`);
    return result.updated;
  }

  async function evidenceRows(principal: Principal, id: string) {
    await get(principal, id);
    return db.selectFrom('diversion_evidence').selectAll().where('alert_id', '=', id).orderBy('event_time').orderBy('event_id').execute();
  }

  async function evidenceCsv(principal: Principal, id: string): Promise<string> {
    const rows = await evidenceRows(principal, id);
    const cols = ['event_id', 'event_time', 'biz_step', 'source', 'code', 'gtin', 'batch', 'serial', 'sscc', 'item_count', 'region_code', 'located_by', 'lat', 'lng', 'scanning_party_id', 'device_id', 'shipped_to_dealer_id', 'dispatch_order_id', 'shipped_at', 'distance_km', 'weight'] as const;
    const cell = (v: unknown) => {
      if (v === null || v === undefined) return '';
      const s = v instanceof Date ? v.toISOString() : String(v);
      // Quote every field that could break a row, and defuse spreadsheet formulas (=, +, -, @).
      const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
      return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    };
    return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
  }

  /** The evidence as an EPCIS 2.0 document: one ObjectEvent (OBSERVE) per scan, with where it was found. */
  async function evidenceEpcis(principal: Principal, id: string) {
    const rows = await evidenceRows(principal, id);
    const events: EpcisEvent[] = [];
    for (const r of rows) {
      const epc = r.sscc ? ssccToEpcUrn(r.sscc) : r.gtin && r.serial ? sgtinToEpcUrn(r.gtin, r.serial) : undefined;
      const built = buildObjectEvent({
        action: 'OBSERVE',
        eventTime: r.event_time,
        eventTimeZoneOffset: '+08:00',
        bizStep: r.biz_step,
        epcs: epc?.ok ? [epc.value] : [],
        ...(r.dispatch_order_id ? { bizTransactions: [{ type: 'desadv', id: `urn:cradle:dispatch:${encodeURIComponent(r.dispatch_order_id)}` }] } : {}),
        extensions: {
          'cradle:sourceEventId': r.event_id,
          'cradle:code': r.code,
          ...(r.region_code ? { 'cradle:regionCode': r.region_code } : {}),
          ...(r.located_by ? { 'cradle:locatedBy': r.located_by } : {}),
          ...(r.lat !== null && r.lng !== null ? { 'cradle:lat': r.lat, 'cradle:lng': r.lng } : {}),
          'cradle:itemCount': r.item_count,
        },
      });
      if (built.ok) events.push(built.value);
    }
    const doc = buildEpcisDocument(events, { creationDate: new Date(), namespaces: { cradle: 'https://cradle.example/epcis/' } });
    if (!doc.ok) throw new HttpProblem('internal', `The evidence could not be expressed as EPCIS: ${doc.error.message}`);
    return doc.value;
  }

  async function compliance(dealerId: string) {
    const records = await db.selectFrom('dealer_compliance_records').selectAll().where('dealer_id', '=', dealerId).orderBy('confirmed_at', 'desc').execute();
    const yearAgo = Date.now() - 365 * 24 * 3_600_000;
    const points = records.filter((r) => new Date(r.confirmed_at).getTime() > yearAgo).reduce((s, r) => s + r.points, 0);
    return { dealer_id: dealerId, points_last_12_months: points, score: Math.max(0, 100 - points), records };
  }

  return { list, get, details, update, evidenceCsv, evidenceEpcis, compliance };
}

export type AlertService = ReturnType<typeof createAlertService>;
