/**
 * The trace core feeding the diversion engine, end to end through the real ingest: a case packed with cans at the
 * factory and shipped on a bound order to dealer A over MQTT, then stores scanning it. The diversion-feed job (wired
 * in gateway.ts) must turn a store's receiving scan outside A's region into an alert naming A and the order.
 */
import { sql } from 'kysely';
import { issueCodes } from '../codes/issue';
import { linkScan, orderScan, registerTestDevice, ssccScan, type TestDevice } from '../ingest/testing';
import { TEST_MQTT_URL, TEST_REDIS_URL } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { type DiversionStoreRow, findDiversionStores } from './diversion-fixtures';
import { bindDispatchOrder } from './dispatch';

const SETUPS = [
  { driver: 'pglite' as const, broker: 'embedded aedes', env: {} as Record<string, string> },
  { driver: 'postgres' as const, broker: 'Mosquitto', env: { MQTT_URL: TEST_MQTT_URL } as Record<string, string> },
  // The feed job scheduled by BullMQ (Redis) rather than in process.
  { driver: 'postgres' as const, broker: 'Mosquitto, BullMQ', env: { MQTT_URL: TEST_MQTT_URL, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `cradle-df-${Math.random().toString(36).slice(2, 8)}` } as Record<string, string> },
];

interface Alert { id: string; kind: string; status: string; source_dealer_id: string | null; dispatch_order_id: string | null; item_count: number; scan_count: number; batch: string | null; gtin: string | null; found_region_code: string | null }

describe.each(SETUPS)('diversion feed from the trace core on $driver with $broker', ({ driver, env }) => {
  let gw: TestGateway;
  let hq: string;
  let gtin: string;
  let dealerA: string;
  let caseSscc: string;
  let storeInside: { id: string; code: string };
  let storeOutside: { id: string; code: string };
  const devices: TestDevice[] = [];
  const batch = `BDF${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
  const order = `ORD-DF-${batch}`;
  const db = () => gw.database.db;

  const alerts = async (query: string): Promise<Alert[]> => {
    const r = await gw.call('GET', `/api/v1/alerts?${query}`, { token: hq });
    if (r.status !== 200) throw new Error(`alerts: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.items as Alert[];
  };
  /** Waits until the feed's cursor has passed the newest stored event (the feed judged everything stored so far). */
  const feedCaughtUp = async () => {
    await gw.ingest.idle();
    const last = await sql<{ pk: string | null }>`select max(pk)::text as pk from epcis_events`.execute(db());
    const target = Number(last.rows[0]?.pk ?? 0);
    await waitUntil(async () => {
      const c = await db().selectFrom('diversion_feed_cursors').select('position').where('name', '=', 'trace-events').executeTakeFirst();
      return Number(c?.position.split(':')[0] ?? 0) >= target;
    });
  };

  beforeAll(async () => {
    gw = await startTestGateway(driver, env);
    hq = await gw.login('hq-admin');
    gtin = (await db().selectFrom('skus').select('gtin').where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow()).gtin;
    // Dealer A: a first-tier dealer with a store inside its authorised region, and a store in another dealer's region.
    const stores = await findDiversionStores(async (text) => (await sql.raw<DiversionStoreRow>(text).execute(db())).rows);
    dealerA = stores.dealerId;
    storeInside = stores.inside;
    storeOutside = stores.outside;

    // Three cans packed into a case at the factory, the case shipped to dealer A on a bound order: all over MQTT.
    const items = await issueCodes(db(), { idempotencyKey: `df-${batch}-items`, kind: 'item', gtin, batchCode: batch, quantity: 3, requestedBy: 'test' });
    const cases = await issueCodes(db(), { idempotencyKey: `df-${batch}-case`, kind: 'case', gtin, quantity: 1, requestedBy: 'test' });
    const cans = await db().selectFrom('codes').select(['serial', 'epc']).where('request_id', '=', items.request.id).orderBy('epc').execute();
    const cs = await db().selectFrom('codes').select(['sscc', 'epc']).where('request_id', '=', cases.request.id).executeTakeFirstOrThrow();
    caseSscc = cs.sscc!;
    const factory = await registerTestDevice(gw, hq, 'F-01');
    const warehouse = await registerTestDevice(gw, hq, 'WH-C01');
    devices.push(factory, warehouse);
    for (const can of cans) await factory.publish('scan', linkScan('SC1', gtin, can.serial!, batch, { sscc: caseSscc }));
    await bindDispatchOrder(db(), { orderId: order, destinationId: dealerA, by: 'test' });
    await warehouse.publish('scan', orderScan('SC1', order));
    await warehouse.publish('scan', ssccScan('SC1', caseSscc, { orderId: order }));
    await waitUntil(async () => {
      const rows = await db().selectFrom('codes').select(['state', 'shipped_to']).where('request_id', '=', items.request.id).execute();
      return rows.length === 3 && rows.every((r) => r.state === 'shipped' && r.shipped_to === dealerA);
    });
  }, 120_000);

  afterAll(async () => {
    for (const d of devices) await d.close().catch(() => undefined);
    await gw?.stop();
  });

  it('raises no alert for a store receiving the case inside dealer A\'s region', async () => {
    const store = await registerTestDevice(gw, hq, storeInside.code);
    devices.push(store);
    await store.publish('scan', ssccScan('SC1', caseSscc));
    await feedCaughtUp();
    expect(await alerts(`kind=diversion&dealer=${dealerA}&batch=${batch}`)).toEqual([]);
  }, 60_000);

  let storeOut: TestDevice;
  let diverted: Record<string, unknown>;
  it('raises an alert naming dealer A and the order, counting the case\'s cans, when a store in another region receives it', async () => {
    storeOut = await registerTestDevice(gw, hq, storeOutside.code);
    devices.push(storeOut);
    diverted = await storeOut.publish('scan', ssccScan('SC1', caseSscc));
    let found: Alert | undefined;
    await waitUntil(async () => {
      found = (await alerts(`kind=diversion&batch=${batch}`))[0];
      return found !== undefined;
    });
    expect(found).toMatchObject({ status: 'open', source_dealer_id: dealerA, dispatch_order_id: order, batch, item_count: 3, scan_count: 1 });
    const evidence = await db().selectFrom('diversion_evidence').selectAll().where('alert_id', '=', found!.id).execute();
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ code: caseSscc, sscc: caseSscc, source: 'store', biz_step: 'receiving', scanning_party_id: storeOutside.id, shipped_to_dealer_id: dealerA, item_count: 3, located_by: 'party' });
  }, 60_000);

  it('counts a replayed message once, and raises a forgery alert for a serial that was never issued', async () => {
    await storeOut.publishRaw(`cradle/v1/${storeOutside.code}/${storeOut.code}/scan`, JSON.stringify(diverted));
    // After the replay, in the same device stream: a can whose serial the brand never issued.
    const forged = `FORGED${batch}`;
    await storeOut.publish('scan', linkScan('SC1', gtin, forged, batch));
    let counterfeit: Alert | undefined;
    await waitUntil(async () => {
      counterfeit = (await alerts('kind=counterfeit-unissued')).find((a) => a.gtin === gtin);
      return counterfeit !== undefined;
    });
    expect(counterfeit).toMatchObject({ status: 'open', scan_count: 1, item_count: 1 });
    await feedCaughtUp();
    const [alert] = await alerts(`kind=diversion&batch=${batch}`);
    expect(alert).toMatchObject({ source_dealer_id: dealerA, item_count: 3, scan_count: 1 });
  }, 60_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
