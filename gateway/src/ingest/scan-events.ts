import { buildAggregationEvent, buildObjectEvent, type BuildOptions, type EpcisBuildError, type EpcisEvent, type Result, type ScanMessage } from '@cradle/protocol';
import { dispatchTransactionUri, sgtinEpc, sglnOf, SITE_TIME_ZONE, ssccEpc } from '../trace/epc';

/** What a scanner's reads mean; set per scanner device (`devices.config.bizStep`), else derived from the site. */
export const SCAN_STEPS = ['commissioning', 'packing', 'unpacking', 'shipping', 'receiving', 'retail_selling', 'inspecting', 'decommissioning'] as const;
export type ScanStep = (typeof SCAN_STEPS)[number];

/**
 * A scan's events are made from a schema-checked MQTT payload (ts, GTIN, serial, SSCC) and EPC URNs protocol/ made, so
 * they are not validated again: the check cost as much as building them and could not fail.
 */
const FROM_VALIDATED_SCAN: BuildOptions = { validate: false };

export interface ScanSite {
  id: string;
  kind: string;
  gln: string | null;
}

export interface DispatchTarget {
  /** SGLN of the order's destination, when the order is bound. */
  destination: string | null;
}

export type ScanOutcome =
  | { kind: 'events'; events: EpcisEvent[] }
  /** Order open/close barcodes and pallet-context reads: part of the stream, but no event of their own. */
  | { kind: 'context' }
  | { kind: 'unidentified'; detail: string };

/**
 * Turns one scan into EPCIS events (EPCIS 2.0 ObjectEvent / AggregationEvent, CBV 2.0 bizSteps):
 * - factory (default): commissioning of the can or case label; with a case or pallet open on the line
 *   (context.sscc), also packing into it;
 * - warehouse with a dispatch order open (context.orderId): shipping on that order, to the order's destination;
 *   without one: receiving;
 * - dealer or store: receiving.
 * A scanner configured with a bizStep overrides the default. Each event's eventID is its GS1 event hash.
 */
export function scanToEvents(msg: ScanMessage, site: ScanSite, configured: ScanStep | null, dispatch: (orderId: string) => DispatchTarget): ScanOutcome {
  const p = msg.parsed;
  const epc = p.gtin && p.serial ? sgtinEpc(p.gtin, p.serial) : p.sscc ? ssccEpc(p.sscc) : null;
  const contextSscc = msg.context?.sscc ? ssccEpc(msg.context.sscc) : null;
  if (!epc) {
    if (Object.keys(p.elements).length === 0) return { kind: 'context' };
    return { kind: 'unidentified', detail: `read ${JSON.stringify(msg.raw.slice(0, 80))} carries no serialised code (GTIN + serial, or SSCC)` };
  }
  // The pallet label read on a context scanner opens the pallet: the context, not an event.
  if (p.sscc && contextSscc === epc) return { kind: 'context' };

  const where = sglnOf(site.gln) ?? undefined;
  const orderId = msg.context?.orderId;
  const step: ScanStep =
    configured ??
    (site.kind === 'factory' ? 'commissioning' : site.kind === 'warehouse' ? (orderId ? 'shipping' : 'receiving') : 'receiving');

  // Each builder input is one object literal of the same fields (absent ones undefined), not spread together from a
  // shared part: spreads made objects of a different shape per case, and the builders' reads of them showed in the
  // ingest profile (every scan is built here).
  const ts = msg.ts;
  const events: EpcisEvent[] = [];
  switch (step) {
    case 'commissioning':
      take(events, buildObjectEvent({ eventTime: ts, eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where, action: 'ADD', epcs: [epc], bizStep: 'commissioning', disposition: 'active', ilmd: lotIlmd(p) }, FROM_VALIDATED_SCAN));
      if (contextSscc && contextSscc !== epc) {
        take(events, buildAggregationEvent({ eventTime: ts, eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where, action: 'ADD', parentId: contextSscc, childEpcs: [epc], bizStep: 'packing', disposition: 'in_progress' }, FROM_VALIDATED_SCAN));
      }
      break;
    case 'packing':
    case 'unpacking':
      if (!contextSscc || contextSscc === epc) return { kind: 'unidentified', detail: `a ${step} read needs a case or pallet open on the line (context.sscc)` };
      take(events, buildAggregationEvent({ eventTime: ts, eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where, action: step === 'packing' ? 'ADD' : 'DELETE', parentId: contextSscc, childEpcs: [epc], bizStep: step, disposition: 'in_progress' }, FROM_VALIDATED_SCAN));
      break;
    case 'shipping': {
      if (!orderId) return { kind: 'unidentified', detail: 'a shipping read needs a dispatch order open on the line (context.orderId)' };
      const target = dispatch(orderId);
      take(
        events,
        buildObjectEvent({
          eventTime: ts,
          eventTimeZoneOffset: SITE_TIME_ZONE,
          eventId: 'hash',
          readPoint: where,
          bizLocation: where,
          action: 'OBSERVE',
          epcs: [epc],
          bizStep: 'shipping',
          disposition: 'in_transit',
          bizTransactions: [{ type: 'desadv', id: dispatchTransactionUri(orderId) }],
          sources: where ? [{ type: 'owning_party', id: where }] : undefined,
          destinations: target.destination ? [{ type: 'owning_party', id: target.destination }] : undefined,
        }, FROM_VALIDATED_SCAN),
      );
      break;
    }
    case 'receiving':
      take(events, buildObjectEvent({ eventTime: ts, eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where, action: 'OBSERVE', epcs: [epc], bizStep: 'receiving', disposition: 'in_progress' }, FROM_VALIDATED_SCAN));
      break;
    case 'retail_selling':
      take(events, buildObjectEvent({ eventTime: ts, eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where, action: 'OBSERVE', epcs: [epc], bizStep: 'retail_selling', disposition: 'retail_sold' }, FROM_VALIDATED_SCAN));
      break;
    case 'inspecting':
      take(events, buildObjectEvent({ eventTime: ts, eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where, action: 'OBSERVE', epcs: [epc], bizStep: 'inspecting' }, FROM_VALIDATED_SCAN));
      break;
    case 'decommissioning':
      take(events, buildObjectEvent({ eventTime: ts, eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where, action: 'DELETE', epcs: [epc], bizStep: 'decommissioning', disposition: 'inactive' }, FROM_VALIDATED_SCAN));
      break;
  }
  return { kind: 'events', events };
}

/** The lot and expiry a commissioned label carries, as CBV master-data ILMD; none when it carries neither. */
function lotIlmd(p: ScanMessage['parsed']): Record<string, unknown> | undefined {
  if (!p.batch && !p.expiry) return undefined;
  const ilmd: Record<string, unknown> = {};
  if (p.batch) ilmd['cbvmda:lotNumber'] = p.batch;
  if (p.expiry) ilmd['cbvmda:itemExpirationDate'] = p.expiry;
  return ilmd;
}

function take(events: EpcisEvent[], r: Result<EpcisEvent, EpcisBuildError>): void {
  if (!r.ok) throw new Error(`${r.error.message} ${JSON.stringify(r.error.issues)}`);
  events.push(r.value);
}
