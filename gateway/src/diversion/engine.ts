import { sql, type Transaction } from 'kysely';
import type { AuthorisationIndex } from '../authorisations/index-of-authorisations';
import type { AuthorisationService } from '../authorisations/service';
import type { CountyLocator } from '../geo/locate';
import type { Database, Db } from '../platform/db';
import type { AlertKind } from '../platform/db/schema';
import type { RegionService } from '../regions/service';
import type { DiversionRules, RulesStore } from './rules';
import type { DiversionInput, ScanLocator, ScanPlace } from './scan';

export type Verdict =
  | 'inside'
  | 'diverted'
  | 'border'
  | 'quiet'
  | 'not-counted'
  | 'unknown-location'
  | 'unjudged'
  | 'duplicate'
  | 'clone-suspect'
  | 'counterfeit'
  | 'decommissioned';

export interface ScanOutcome {
  eventId: string;
  verdict: Verdict;
  place: ScanPlace;
  /** Alerts this scan added evidence to (and whether it opened them). */
  alerts: { id: string; kind: AlertKind; status: string; opened: boolean }[];
}

export interface EngineDeps {
  db: Db;
  authorisations: AuthorisationService;
  counties: CountyLocator;
  scans: ScanLocator;
  rules: RulesStore;
  regions: RegionService;
  /** Called after the scan's transaction commits, once per alert that this scan opened. */
  onOpened?: (alertId: string, kind: AlertKind) => Promise<void>;
}

interface AlertFacts {
  kind: AlertKind;
  key: string;
  sourceDealerId: string | null;
  victimDealerId: string | null;
  foundRegionCode: string | null;
  batch: string | null;
  gtin: string | null;
  code: string | null;
  dispatchOrderId: string | null;
  distanceKm: number | null;
  weight: number;
  /** Extra events counted as evidence with this one (the earlier scan of a clone pair). */
  alsoEvidence?: string[];
}

const HOUR_MS = 3_600_000;

/**
 * The diversion and clone engine: judges each downstream scan against the authorisation valid when its goods were
 * shipped, and aggregates evidence into alerts (one per source dealer × found county × batch for diversion; one per
 * serial for clone signals). Every write of one scan happens in one transaction, keyed by the scan's event id.
 */
export function createDiversionEngine(deps: EngineDeps) {
  const { db } = deps;

  async function processScan(scan: DiversionInput): Promise<ScanOutcome> {
    const rules = await deps.rules.current();
    const place = await deps.scans.locate(scan);
    // Read before the transaction: on PGlite (one connection) a read outside it would wait for it to end.
    const index = await deps.authorisations.index();
    // Most scans are inside their dealer's region and write nothing: judged without a transaction (same path as judge).
    if (insideWithoutWrites(scan, place, index)) return { eventId: scan.eventId, verdict: 'inside', place, alerts: [] };
    const outcome: ScanOutcome = await db.transaction().execute((trx) => judge(trx, scan, place, rules, index));
    for (const a of outcome.alerts) if (a.opened && deps.onOpened) await deps.onOpened(a.id, a.kind);
    return outcome;
  }

  async function processScans(scans: readonly DiversionInput[]): Promise<ScanOutcome[]> {
    const out: ScanOutcome[] = [];
    for (const s of scans) out.push(await processScan(s));
    return out;
  }

  function insideWithoutWrites(scan: DiversionInput, place: ScanPlace, index: AuthorisationIndex): boolean {
    if (scan.codeStatus === 'never-issued' || scan.codeStatus === 'decommissioned') return false;
    if (scan.source === 'consumer' && scan.serial) return false; // recorded for clone signals
    if (!place.known || !scan.shippedTo) return false;
    if (index.effectiveAt(scan.shippedTo.dealerId, scan.shippedTo.shippedAt).codes.length === 0) return false;
    return index.covers(scan.shippedTo.dealerId, place.regionCode, scan.shippedTo.shippedAt);
  }

  async function judge(trx: Transaction<Database>, scan: DiversionInput, place: ScanPlace, rules: DiversionRules, index: AuthorisationIndex): Promise<ScanOutcome> {
    const outcome: ScanOutcome = { eventId: scan.eventId, verdict: 'unjudged', place, alerts: [] };
    const region = place.known ? place.regionCode : null;
    const victimAt = (code: string | null) => (code ? (index.firstTierCovering(code, scan.eventTime)[0] ?? null) : null);

    if (scan.codeStatus === 'never-issued' || scan.codeStatus === 'decommissioned') {
      const forged = scan.codeStatus === 'never-issued';
      const facts: AlertFacts = {
        kind: forged ? 'counterfeit-unissued' : 'decommissioned-scan',
        // A forger prints many serials of one product: gather them per GTIN and place; a decommissioned code is one code.
        key: forged ? `${scan.gtin ?? 'unknown'}|${region ?? 'unknown'}` : scan.code,
        sourceDealerId: scan.shippedTo?.dealerId ?? null,
        victimDealerId: victimAt(region),
        foundRegionCode: region,
        batch: scan.batch ?? null,
        gtin: scan.gtin ?? null,
        code: forged ? null : scan.code,
        dispatchOrderId: scan.shippedTo?.orderId ?? null,
        distanceKm: null,
        weight: 1,
      };
      const a = await addEvidence(trx, scan, place, facts, rules);
      if (!a) return { ...outcome, verdict: 'duplicate' };
      return { ...outcome, verdict: forged ? 'counterfeit' : 'decommissioned', alerts: [a] };
    }

    if (scan.source === 'consumer' && scan.serial) {
      const clone = await consumerSignals(trx, scan, place, rules);
      if (clone === 'duplicate') return { ...outcome, verdict: 'duplicate' };
      outcome.alerts.push(...clone.alerts);
      // Where copies of a serial are scanned says where the copies went, not where the dealer sold the original.
      if (clone.suspect) return { ...outcome, verdict: 'clone-suspect' };
    }

    if (!place.known) return { ...outcome, verdict: 'unknown-location' };
    if (!scan.shippedTo) return outcome;
    const authorised = index.effectiveAt(scan.shippedTo.dealerId, scan.shippedTo.shippedAt);
    if (authorised.codes.length === 0) return outcome;
    const inside = index.covers(scan.shippedTo.dealerId, place.regionCode, scan.shippedTo.shippedAt);
    if (inside) return { ...outcome, verdict: 'inside' };

    const point = place.lat !== null && place.lng !== null ? { lat: place.lat, lng: place.lng } : deps.counties.seatOf(place.regionCode);
    const distanceKm = point ? (deps.counties.distanceToRegionKm(point.lat, point.lng, authorised.codes) ?? null) : null;
    // Only coordinates are approximate; a registered party's county is exact, however close to the border.
    if (place.by === 'consumer-coordinates' && (distanceKm === null || distanceKm <= rules.border_tolerance_km)) return { ...outcome, verdict: 'border' };
    if (await isQuiet(trx, scan, place.regionCode)) return { ...outcome, verdict: 'quiet' };
    const weight = rules.weights[scan.source];
    if (weight <= 0) return { ...outcome, verdict: 'not-counted' };

    const batch = scan.batch ?? 'unknown-batch';
    const a = await addEvidence(trx, scan, place, {
      kind: 'diversion',
      key: `${scan.shippedTo.dealerId}|${place.regionCode}|${batch}`,
      sourceDealerId: scan.shippedTo.dealerId,
      victimDealerId: victimAt(place.regionCode),
      foundRegionCode: place.regionCode,
      batch,
      gtin: scan.gtin ?? null,
      code: null,
      dispatchOrderId: scan.shippedTo.orderId,
      distanceKm: distanceKm === null ? null : Math.round(distanceKm * 10) / 10,
      weight,
    }, rules);
    if (!a) return { ...outcome, verdict: 'duplicate' };
    return { ...outcome, verdict: 'diverted', alerts: [...outcome.alerts, a] };
  }

  async function isQuiet(trx: Transaction<Database>, scan: DiversionInput, regionCode: string): Promise<boolean> {
    const lineage = deps.regions.lineage(regionCode).map((r) => r.code);
    const row = await trx
      .selectFrom('diversion_quiet_rules')
      .select('id')
      .where('region_code', 'in', lineage)
      .where('valid_from', '<=', scan.eventTime)
      .where('valid_to', '>', scan.eventTime)
      .where((eb) => eb.or([eb('dealer_id', 'is', null), eb('dealer_id', '=', scan.shippedTo!.dealerId)]))
      .where((eb) => eb.or([eb('batch', 'is', null), eb('batch', '=', scan.batch ?? '')]))
      .where((eb) => eb.or([eb('gtin', 'is', null), eb('gtin', '=', scan.gtin ?? '')]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Records a consumer scan of a serial and raises the clone signals it completes; 'duplicate' for a seen event. */
  async function consumerSignals(trx: Transaction<Database>, scan: DiversionInput, place: ScanPlace, rules: DiversionRules) {
    const point = place.known ? (place.lat !== null && place.lng !== null ? { lat: place.lat, lng: place.lng } : deps.counties.seatOf(place.regionCode)) : undefined;
    const inserted = await trx
      .insertInto('consumer_scans')
      .values({ event_id: scan.eventId, code: scan.code, event_time: scan.eventTime, region_code: place.known ? place.regionCode : null, lat: point?.lat ?? null, lng: point?.lng ?? null })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!inserted) return 'duplicate' as const;
    const history = await trx.selectFrom('consumer_scans').select(['event_id', 'event_time', 'lat', 'lng']).where('code', '=', scan.code).orderBy('event_time').orderBy('event_id').execute();
    const alerts: ScanOutcome['alerts'] = [];
    const base = {
      sourceDealerId: scan.shippedTo?.dealerId ?? null,
      victimDealerId: null,
      foundRegionCode: place.known ? place.regionCode : null,
      batch: scan.batch ?? null,
      gtin: scan.gtin ?? null,
      code: scan.code,
      dispatchOrderId: scan.shippedTo?.orderId ?? null,
      distanceKm: null,
      weight: 1,
    };
    if (point) {
      const i = history.findIndex((h) => h.event_id === scan.eventId);
      const neighbours = [history[i - 1], history[i + 1]].filter((h): h is NonNullable<typeof h> => !!h && h.lat !== null && h.lng !== null);
      for (const n of neighbours) {
        const km = deps.counties.distanceKm(point, { lat: n.lat!, lng: n.lng! });
        const hours = Math.max(Math.abs(scan.eventTime.getTime() - new Date(n.event_time).getTime()) / HOUR_MS, 1 / 60);
        if (km >= rules.clone.min_distance_km && km / hours > rules.clone.max_speed_kmh) {
          const a = await addEvidence(trx, scan, place, { ...base, kind: 'clone-velocity', key: scan.code, distanceKm: Math.round(km), alsoEvidence: [n.event_id] }, rules);
          if (a) alerts.push(a);
          break;
        }
      }
    }
    if (history.length > rules.clone.max_consumer_scans || placesOf(history, rules.clone.min_distance_km) >= rules.clone.max_places) {
      const a = await addEvidence(trx, scan, place, { ...base, kind: 'clone-excess-scans', key: scan.code }, rules);
      if (a) alerts.push(a);
    }
    const suspect =
      alerts.length > 0 ||
      (await trx.selectFrom('diversion_alerts').select('id').where('key', '=', scan.code).where('kind', 'in', ['clone-velocity', 'clone-excess-scans']).where('status', '!=', 'dismissed').limit(1).executeTakeFirst()) !== undefined;
    return { alerts, suspect };
  }

  /** Distinct places among a code's consumer scans: points closer than min_distance_km to a counted one are the same place. */
  function placesOf(history: readonly { lat: number | null; lng: number | null }[], minDistanceKm: number): number {
    const centres: { lat: number; lng: number }[] = [];
    for (const h of history) {
      if (h.lat === null || h.lng === null) continue;
      const p = { lat: h.lat, lng: h.lng };
      if (!centres.some((c) => deps.counties.distanceKm(c, p) < minDistanceKm)) centres.push(p);
    }
    return centres.length;
  }

  /**
   * Adds one scan's evidence to the alert for `facts.kind × facts.key`, creating it if needed, and opens it when the
   * weight within the window reaches the threshold. Returns undefined when the event was already counted there.
   */
  async function addEvidence(trx: Transaction<Database>, scan: DiversionInput, place: ScanPlace, facts: AlertFacts, rules: DiversionRules) {
    await trx
      .insertInto('diversion_alerts')
      .values({
        kind: facts.kind,
        key: facts.key,
        source_dealer_id: facts.sourceDealerId,
        victim_dealer_id: facts.victimDealerId,
        found_region_code: facts.foundRegionCode,
        batch: facts.batch,
        gtin: facts.gtin,
        code: facts.code,
        dispatch_order_id: facts.dispatchOrderId,
        distance_km: facts.distanceKm,
        first_evidence_at: scan.eventTime,
        latest_evidence_at: scan.eventTime,
      })
      .onConflict((oc) => oc.columns(['kind', 'key']).doNothing())
      .execute();
    const alert = await trx.selectFrom('diversion_alerts').select(['id', 'status']).where('kind', '=', facts.kind).where('key', '=', facts.key).forUpdate().executeTakeFirstOrThrow();
    const evidence = await trx
      .insertInto('diversion_evidence')
      .values({
        event_id: facts.kind === 'diversion' || facts.kind === 'counterfeit-unissued' ? scan.eventId : `${scan.eventId}#${facts.kind}`,
        alert_id: alert.id,
        code: scan.code,
        gtin: scan.gtin ?? null,
        batch: scan.batch ?? null,
        serial: scan.serial ?? null,
        sscc: scan.sscc ?? null,
        biz_step: scan.bizStep,
        source: scan.source,
        event_time: scan.eventTime,
        region_code: place.known ? place.regionCode : null,
        located_by: place.known ? place.by : null,
        lat: place.known ? place.lat : (scan.lat ?? null),
        lng: place.known ? place.lng : (scan.lng ?? null),
        scanning_party_id: scan.scanningPartyId ?? null,
        device_id: scan.deviceId ?? null,
        item_count: scan.itemCount,
        weight: facts.weight,
        shipped_to_dealer_id: scan.shippedTo?.dealerId ?? null,
        dispatch_order_id: scan.shippedTo?.orderId ?? null,
        shipped_at: scan.shippedTo?.shippedAt ?? null,
        distance_km: facts.distanceKm,
      })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!evidence) return undefined;
    let opens = false;
    if (alert.status === 'watching') {
      const since = new Date(scan.eventTime.getTime() - rules.window_days * 24 * HOUR_MS);
      const { w } = await trx
        .selectFrom('diversion_evidence')
        .select(sql<number>`coalesce(sum(weight), 0)`.as('w'))
        .where('alert_id', '=', alert.id)
        .where('event_time', '>', since)
        .where('event_time', '<=', scan.eventTime)
        .executeTakeFirstOrThrow();
      opens = Number(w) + 1e-9 >= rules.open_threshold;
    }
    const updated = await trx
      .updateTable('diversion_alerts')
      .set((eb) => ({
        item_count: eb('item_count', '+', scan.itemCount),
        scan_count: eb('scan_count', '+', 1),
        evidence_weight: eb('evidence_weight', '+', facts.weight),
        first_evidence_at: sql`least(first_evidence_at, ${scan.eventTime})`,
        latest_evidence_at: sql`greatest(latest_evidence_at, ${scan.eventTime})`,
        distance_km: facts.distanceKm === null ? sql`distance_km` : sql`greatest(coalesce(distance_km, 0), ${facts.distanceKm})`,
        victim_dealer_id: sql`coalesce(victim_dealer_id, ${facts.victimDealerId})`,
        ...(opens ? { status: 'open' as const, opened_at: new Date() } : {}),
        updated_at: new Date(),
      }))
      .where('id', '=', alert.id)
      .returning(['id', 'status'])
      .executeTakeFirstOrThrow();
    for (const other of facts.alsoEvidence ?? []) {
      // The earlier scan of a clone pair is evidence too; its row names it, the pair shares the alert.
      await sql`insert into diversion_evidence (event_id, alert_id, code, gtin, batch, serial, sscc, biz_step, source, event_time, region_code, located_by, lat, lng, item_count, weight)
        select ${`${other}#${facts.kind}`}, ${alert.id}, c.code, ${scan.gtin ?? null}, ${scan.batch ?? null}, ${scan.serial ?? null}, null, 'consumer_scan', 'consumer', c.event_time, c.region_code, 'consumer-coordinates', c.lat, c.lng, 1, 0
        from consumer_scans c where c.event_id = ${other}
        on conflict (event_id) do nothing`.execute(trx);
    }
    return { id: updated.id, kind: facts.kind, status: updated.status, opened: opens };
  }

  return { processScan, processScans };
}

export type DiversionEngine = ReturnType<typeof createDiversionEngine>;
