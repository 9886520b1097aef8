import type { Db } from '../platform/db';
import type { CountyLocator } from '../geo/locate';
import type { ScanSource } from './rules';

/**
 * What the engine needs to know about one downstream scan. The trace core derives it from a committed EPCIS event:
 * the scanned identity, the dispatch it was bound to (the `shipping` event's destination dealer and order), where
 * it was scanned, and whether the serial was ever issued. A case or pallet scan carries how many units it holds.
 */
export interface DiversionInput {
  /** The event's id from its source; the same id twice is one scan (QoS 1 redelivery, replays). */
  eventId: string;
  /** The scanned identity: a unit's GTIN+serial key, or an SSCC for a case/pallet. */
  code: string;
  gtin?: string | undefined;
  batch?: string | undefined;
  serial?: string | undefined;
  sscc?: string | undefined;
  /** Units the scan stands for: 1 for a can, the contents for a case or pallet. */
  itemCount: number;
  bizStep: string;
  source: ScanSource;
  eventTime: Date;
  scanningPartyId?: string | undefined;
  deviceId?: string | undefined;
  lat?: number | undefined;
  lng?: number | undefined;
  /** The dispatch the code (or its case) was bound to, if any. */
  shippedTo?: { dealerId: string; orderId: string; shippedAt: Date } | undefined;
  /** From the code registry: 'never-issued' is a forgery, 'decommissioned' a code taken out of use. */
  codeStatus?: 'issued' | 'never-issued' | 'decommissioned' | undefined;
}

export type LocatedBy = 'party' | 'device-site' | 'consumer-coordinates';
export type ScanPlace = { known: true; regionCode: string; by: LocatedBy; lat: number | null; lng: number | null } | { known: false; reason: string };

interface PartyPlace { regionCode: string; lat: number | null; lng: number | null; kind: string }

/**
 * Where a scan happened, most trustworthy first: the scanning party's registered county (a store, a distributor),
 * the device's site, then the consumer's coordinates. Anything else is unknown, and an unknown place is never judged
 * as diverted. Parties and devices are held in memory and re-read when an unknown id turns up.
 */
export function createScanLocator(db: Db, counties: CountyLocator) {
  let parties = new Map<string, PartyPlace>();
  let deviceSites = new Map<string, string>();
  let loadedAt = 0;
  const load = async () => {
    const [p, d] = await Promise.all([
      db.selectFrom('parties').select(['id', 'region_code', 'lat', 'lng', 'kind']).execute(),
      db.selectFrom('devices').select(['id', 'site_id']).where('status', '=', 'active').execute(),
    ]);
    parties = new Map(p.map((r) => [r.id, { regionCode: r.region_code, lat: r.lat, lng: r.lng, kind: r.kind }]));
    deviceSites = new Map(d.map((r) => [r.id, r.site_id]));
    loadedAt = Date.now();
  };
  const ensure = async (partyId?: string, deviceId?: string) => {
    const missing = (partyId && !parties.has(partyId)) || (deviceId && !deviceSites.has(deviceId));
    if (loadedAt === 0 || (missing && Date.now() - loadedAt > 1000)) await load();
  };

  async function locate(scan: Pick<DiversionInput, 'scanningPartyId' | 'deviceId' | 'lat' | 'lng' | 'source'>): Promise<ScanPlace> {
    await ensure(scan.scanningPartyId, scan.deviceId);
    if (scan.scanningPartyId) {
      const p = parties.get(scan.scanningPartyId);
      if (p) return { known: true, regionCode: p.regionCode, by: 'party', lat: p.lat, lng: p.lng };
    }
    if (scan.deviceId) {
      const site = deviceSites.get(scan.deviceId);
      const p = site ? parties.get(site) : undefined;
      if (p) return { known: true, regionCode: p.regionCode, by: 'device-site', lat: p.lat, lng: p.lng };
    }
    if (scan.lat !== undefined && scan.lng !== undefined) {
      const hit = counties.locate(scan.lat, scan.lng);
      if (hit) return { known: true, regionCode: hit.regionCode, by: 'consumer-coordinates', lat: scan.lat, lng: scan.lng };
      return { known: false, reason: 'coordinates are far from every county seat' };
    }
    return { known: false, reason: 'no scanning party, device site or coordinates' };
  }

  return { locate, reload: load };
}
export type ScanLocator = ReturnType<typeof createScanLocator>;
