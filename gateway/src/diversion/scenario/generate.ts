import { jitter } from '../../demo/geography';
import { seededRandom } from '../../demo/random';
import type { CountyLocator } from '../../geo/locate';
import type { RegionService } from '../../regions/service';
import type { DiversionInput } from '../scan';

/** The parts of the network a scenario needs: first-tier dealers and the stores each one's goods reach. */
export interface ScenarioNetwork {
  dealers: { id: string; regionCode: string }[];
  /** Stores with the first-tier dealer at the top of their supply chain. */
  stores: { id: string; regionCode: string; lat: number; lng: number; tier1Id: string }[];
}

export interface ScenarioOptions {
  seed: number;
  /** First shipment day. */
  start: Date;
  weeks: number;
  /** Dealers taking part (the first n); default all. */
  dealers?: number;
  ordersPerDealerWeek: number;
  casesPerOrder: number;
  cansPerCase: number;
  /** Share of cans a consumer scans at home. */
  consumerScanRate: number;
  /** Injected diversion incidents (store-received and consumer-only), and clone incidents. */
  storeDiversions: number;
  greyDiversions: number;
  clones: number;
  forgeries: number;
  noise: {
    /** Share of consumer scans made while travelling, far from home. */
    travel: number;
    /** Share of consumer scans without coordinates. */
    noLocation: number;
    /** Share of scans delivered twice (QoS 1 redelivery). */
    duplicate: number;
    /** Largest distance (km) between a consumer's home and the store: homes near a border fall across it. */
    homeRadiusKm: number;
    /** Share of stores' cases also scanned by an inspector on a visit. */
    inspection: number;
  };
}

export const SMALL_SCENARIO: Omit<ScenarioOptions, 'seed' | 'start'> = {
  weeks: 6,
  dealers: 30,
  ordersPerDealerWeek: 1,
  casesPerOrder: 2,
  cansPerCase: 12,
  consumerScanRate: 0.35,
  storeDiversions: 12,
  greyDiversions: 8,
  clones: 10,
  forgeries: 3,
  noise: { travel: 0.04, noLocation: 0.1, duplicate: 0.03, homeRadiusKm: 8, inspection: 0.05 },
};

export interface ScenarioTruth {
  /** Keys `dealerId|county|batch` of injected diversion incidents. */
  diversions: Set<string>;
  /** Codes of injected clones. */
  clones: Set<string>;
  /** Keys `gtin|county` of injected forgeries. */
  forgeries: Set<string>;
}

export interface Scenario {
  scans: DiversionInput[];
  truth: ScenarioTruth;
  counts: { shipments: number; cans: number; scans: number; travelScans: number; duplicates: number; noLocation: number };
}

const DAY = 86_400_000;
const GTINS = ['06901234567892', '06901234567809', '06901234567816', '06901234567823'];
/** Where travellers go: the central districts of big cities. */
const TRAVEL_PLACES = ['110101', '110105', '310101', '310115', '440103', '440304', '330102', '320102', '510104', '420106', '500103', '610103', '120101', '350203'];

/**
 * A deterministic scenario over the demo network: weekly shipments to first-tier dealers, each case received by a
 * store of the dealer's network, consumers scanning cans at home, with diversion, clones and forgeries injected at
 * known places and with realistic noise (travel, homes across a nearby border, scans without location, duplicates,
 * inspector visits). Events come out in time order, as the trace core would commit them.
 */
export function generateScenario(network: ScenarioNetwork, regions: RegionService, counties: CountyLocator, opts: ScenarioOptions): Scenario {
  const rnd = seededRandom(opts.seed);
  const dealers = network.dealers.slice(0, opts.dealers ?? network.dealers.length);
  const storesOf = new Map<string, ScenarioNetwork['stores']>();
  for (const s of network.stores) storesOf.set(s.tier1Id, [...(storesOf.get(s.tier1Id) ?? []), s]);
  const scans: DiversionInput[] = [];
  const truth: ScenarioTruth = { diversions: new Set(), clones: new Set(), forgeries: new Set() };
  const counts = { shipments: 0, cans: 0, scans: 0, travelScans: 0, duplicates: 0, noLocation: 0 };
  let serialNo = 0;
  let eventNo = 0;
  const eventId = () => `sc-${opts.seed}-${++eventNo}`;
  const at = (t: number) => new Date(Math.round(t / 1000) * 1000);
  const cans: { code: string; gtin: string; serial: string; batch: string; shippedTo: NonNullable<DiversionInput['shippedTo']>; home: { lat: number; lng: number }; soldAt: number }[] = [];

  const push = (s: DiversionInput) => {
    scans.push(s);
    if (rnd.chance(opts.noise.duplicate)) {
      scans.push({ ...s });
      counts.duplicates++;
    }
  };
  const consumerScan = (can: (typeof cans)[number], time: number, place: { lat: number; lng: number } | null) => {
    if (!place) counts.noLocation++;
    push({
      eventId: eventId(),
      code: can.code,
      gtin: can.gtin,
      serial: can.serial,
      batch: can.batch,
      itemCount: 1,
      bizStep: 'consumer_scan',
      source: 'consumer',
      eventTime: at(time),
      ...(place ? { lat: place.lat, lng: place.lng } : {}),
      shippedTo: can.shippedTo,
    });
  };
  const seatNear = (code: string, km: number) => {
    const seat = counties.seatOf(code)!;
    return jitter(seat.lat, seat.lng, km, rnd.next);
  };

  // Legitimate flow: shipments, store receiving, inspections, consumers at home, a few travelling.
  let orderNo = 0;
  const shipmentsByDealer = new Map<string, { batch: string; gtin: string; shippedTo: NonNullable<DiversionInput['shippedTo']>; time: number }[]>();
  for (let w = 0; w < opts.weeks; w++) {
    for (const d of dealers) {
      const stores = storesOf.get(d.id) ?? [];
      if (stores.length === 0) continue;
      for (let o = 0; o < opts.ordersPerDealerWeek; o++) {
        const shippedAt = opts.start.getTime() + w * 7 * DAY + rnd.int(0, 5 * DAY);
        const shippedTo = { dealerId: d.id, orderId: `SO-${opts.seed}-${++orderNo}`, shippedAt: at(shippedAt) };
        counts.shipments++;
        for (let c = 0; c < opts.casesPerOrder; c++) {
          const gtin = rnd.pick(GTINS);
          const batch = `B${new Date(shippedAt - 20 * DAY).toISOString().slice(0, 7).replace('-', '')}-${gtin.slice(-3)}`;
          shipmentsByDealer.set(d.id, [...(shipmentsByDealer.get(d.id) ?? []), { batch, gtin, shippedTo, time: shippedAt }]);
          const store = rnd.pick(stores);
          const received = shippedAt + rnd.int(1, 4) * DAY;
          const sscc = `0369012340${String(orderNo * 100 + c).padStart(8, '0')}`;
          push({ eventId: eventId(), code: sscc, sscc, batch, itemCount: opts.cansPerCase, bizStep: 'receiving', source: 'store', eventTime: at(received), scanningPartyId: store.id, shippedTo });
          if (rnd.chance(opts.noise.inspection)) {
            push({ eventId: eventId(), code: sscc, sscc, batch, itemCount: opts.cansPerCase, bizStep: 'inspecting', source: 'inspector', eventTime: at(received + DAY), scanningPartyId: store.id, shippedTo });
          }
          for (let k = 0; k < opts.cansPerCase; k++) {
            const serial = `S${opts.seed}x${++serialNo}`;
            const can = { code: `${gtin}.${serial}`, gtin, serial, batch, shippedTo, home: jitter(store.lat, store.lng, opts.noise.homeRadiusKm, rnd.next), soldAt: received + rnd.int(1, 20) * DAY };
            cans.push(can);
            counts.cans++;
            if (!rnd.chance(opts.consumerScanRate)) continue;
            const travelling = rnd.chance(opts.noise.travel);
            if (travelling) counts.travelScans++;
            const place = rnd.chance(opts.noise.noLocation) ? null : travelling ? seatNear(rnd.pick(TRAVEL_PLACES), 4) : can.home;
            consumerScan(can, can.soldAt, place);
            // Some scan again at home days later (a second look at the QC report): same place, not a clone.
            if (rnd.chance(0.15)) consumerScan(can, can.soldAt + rnd.int(1, 10) * DAY, can.home);
          }
        }
      }
    }
  }

  // Injected diversion: a dealer's cases received by a store of another dealer's network (near or far).
  const farStoreFor = (d: ScenarioNetwork['dealers'][number]) => {
    const candidates = network.stores.filter((s) => s.tier1Id !== d.id && !regions.isWithin(s.regionCode, d.regionCode));
    return rnd.pick(candidates);
  };
  const usedKeys = new Set<string>();
  for (let i = 0; i < opts.storeDiversions; i++) {
    const d = rnd.pick(dealers.filter((x) => shipmentsByDealer.has(x.id)));
    const ship = rnd.pick(shipmentsByDealer.get(d.id)!);
    const store = farStoreFor(d);
    const key = `${d.id}|${store.regionCode}|${ship.batch}`;
    if (usedKeys.has(key)) continue;
    usedKeys.add(key);
    truth.diversions.add(key);
    const cases = rnd.int(1, 6);
    for (let c = 0; c < cases; c++) {
      const sscc = `0469012340${String(i * 10 + c).padStart(8, '0')}`;
      const t = ship.time + rnd.int(3, 20) * DAY;
      push({ eventId: eventId(), code: sscc, sscc, batch: ship.batch, itemCount: opts.cansPerCase, bizStep: 'receiving', source: 'store', eventTime: at(t), scanningPartyId: store.id, shippedTo: ship.shippedTo });
    }
  }
  // Consumer-only diversion (sold through a market or online shop in another region): only consumers' phones see it.
  for (let i = 0; i < opts.greyDiversions; i++) {
    const d = rnd.pick(dealers.filter((x) => shipmentsByDealer.has(x.id)));
    const ship = rnd.pick(shipmentsByDealer.get(d.id)!);
    const target = farStoreFor(d).regionCode;
    const key = `${d.id}|${target}|${ship.batch}`;
    if (usedKeys.has(key)) continue;
    usedKeys.add(key);
    truth.diversions.add(key);
    const n = rnd.int(6, 20);
    const from = ship.time + rnd.int(5, 15) * DAY;
    for (let k = 0; k < n; k++) {
      const serial = `G${opts.seed}x${++serialNo}`;
      const can = { code: `${ship.gtin}.${serial}`, gtin: ship.gtin, serial, batch: ship.batch, shippedTo: ship.shippedTo, home: seatNear(target, 3), soldAt: from + rnd.int(0, 14) * DAY };
      consumerScan(can, can.soldAt, can.home);
    }
  }
  // Clones: one real serial copied onto many fake cans, scanned by consumers across the country within days.
  for (let i = 0; i < opts.clones && cans.length > 0; i++) {
    const can = rnd.pick(cans);
    if (truth.clones.has(can.code)) continue;
    truth.clones.add(can.code);
    const n = rnd.int(4, 16);
    for (let k = 0; k < n; k++) consumerScan(can, can.soldAt + rnd.int(1, 72) * 3_600_000, seatNear(rnd.pick(TRAVEL_PLACES), 5));
  }
  // Forgeries: serials never issued, scanned where the counterfeits are sold.
  for (let i = 0; i < opts.forgeries; i++) {
    const place = rnd.pick(network.stores);
    const gtin = rnd.pick(GTINS);
    truth.forgeries.add(`${gtin}|${place.regionCode}`);
    const t = opts.start.getTime() + rnd.int(7, opts.weeks * 7) * DAY;
    for (let k = 0; k < rnd.int(1, 5); k++) {
      push({ eventId: eventId(), code: `${gtin}.F${opts.seed}x${i}x${k}`, gtin, serial: `F${opts.seed}x${i}x${k}`, itemCount: 1, bizStep: 'retail_selling', source: 'store', eventTime: at(t + k * 3_600_000), scanningPartyId: place.id, codeStatus: 'never-issued' });
    }
  }

  scans.sort((a, b) => a.eventTime.getTime() - b.eventTime.getTime());
  counts.scans = scans.length;
  return { scans, truth, counts };
}

