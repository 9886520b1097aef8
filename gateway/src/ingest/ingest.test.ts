import { sql } from 'kysely';
import { issueCodes } from '../codes/issue';
import { TEST_MQTT_URL } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { bindDispatchOrder } from '../trace/dispatch';
import { linkScan, orderScan, registerTestDevice, ssccScan, type TestDevice } from './testing';

const SETUPS = [
  { driver: 'pglite' as const, broker: 'embedded aedes', env: {} as Record<string, string> },
  { driver: 'postgres' as const, broker: 'Mosquitto', env: { MQTT_URL: TEST_MQTT_URL } as Record<string, string> },
];

describe.each(SETUPS)('MQTT ingest on $driver with $broker', ({ driver, env }) => {
  let gw: TestGateway;
  let token: string;
  let factory: TestDevice;
  let warehouse: TestDevice;
  let gtin: string;
  let dealerId: string;
  let otherDealerId: string;
  const cans: { serial: string; epc: string }[] = [];
  let caseSscc: string;
  let caseEpc: string;

  const db = () => gw.database.db;
  const code = (epc: string) => db().selectFrom('codes').selectAll().where('epc', '=', epc).executeTakeFirstOrThrow();
  const anomalies = (kind: string) => db().selectFrom('anomalies').selectAll().where('kind', '=', kind).execute();

  beforeAll(async () => {
    gw = await startTestGateway(driver, env);
    token = await gw.login('hq-admin');
    const sku = await db().selectFrom('skus').select('gtin').where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow();
    gtin = sku.gtin;
    const dealers = await db().selectFrom('parties').select('id').where('kind', '=', 'dealer').where('tier', '=', 1).orderBy('code').limit(2).execute();
    dealerId = dealers[0]!.id;
    otherDealerId = dealers[1]!.id;
    const items = await issueCodes(db(), { idempotencyKey: `t-${Math.random()}`, kind: 'item', gtin, batchCode: 'B2401', quantity: 4, requestedBy: 'test' });
    const cases = await issueCodes(db(), { idempotencyKey: `t-${Math.random()}`, kind: 'case', gtin, quantity: 1, requestedBy: 'test' });
    for (const c of await db().selectFrom('codes').select(['serial', 'epc']).where('request_id', '=', items.request.id).orderBy('epc').execute()) cans.push({ serial: c.serial!, epc: c.epc });
    const cs = await db().selectFrom('codes').select(['sscc', 'epc']).where('request_id', '=', cases.request.id).executeTakeFirstOrThrow();
    caseSscc = cs.sscc!;
    caseEpc = cs.epc;
    factory = await registerTestDevice(gw, token, 'F-01');
    warehouse = await registerTestDevice(gw, token, 'WH-C01');
  }, 60_000);

  afterAll(async () => {
    await factory?.close();
    await warehouse?.close();
    await gw?.stop();
  });

  it('commissions and packs cans from factory scans, once however often a message is delivered', async () => {
    const msgs = [];
    for (const can of cans.slice(0, 3)) msgs.push(await factory.publish('scan', linkScan('SC1', gtin, can.serial, 'B2401', { sscc: caseSscc })));
    // A replay of the first message (QoS 1 redelivery, or an edge agent replaying its outbox).
    await factory.publishRaw(`cradle/v1/F-01/${factory.code}/scan`, JSON.stringify(msgs[0]));
    await gw.ingest.idle();
    await waitUntil(async () => (await code(cans[2]!.epc)).state === 'commissioned');
    await gw.ingest.idle();
    for (const can of cans.slice(0, 3)) {
      const c = await code(can.epc);
      expect(c).toMatchObject({ state: 'commissioned', parent_epc: caseEpc, batch_code: 'B2401' });
    }
    expect((await code(caseEpc)).state).toBe('commissioned');
    expect((await code(cans[3]!.epc)).state).toBe('issued');
    const events = await db().selectFrom('epcis_events').select(['biz_step']).where('source_id', '=', msgs[0]!.id as string).execute();
    expect(events.map((e) => e.biz_step).sort()).toEqual(['commissioning', 'packing']);
    const stream = await db().selectFrom('device_streams').selectAll().where('device_code', '=', factory.code).executeTakeFirstOrThrow();
    expect(Number(stream.received)).toBe(3);
    expect(Number(stream.max_seq)).toBe(3);
    expect(Number(stream.missing)).toBe(0);
  });

  it('ships a case on a bound order: every can inside is bound to the dealer; shipping it to another dealer is an anomaly', async () => {
    await bindDispatchOrder(db(), { orderId: 'ORD-T1', destinationId: dealerId, by: 'test' });
    await bindDispatchOrder(db(), { orderId: 'ORD-T2', destinationId: otherDealerId, by: 'test' });
    await warehouse.publish('scan', orderScan('SC1', 'ORD-T1'));
    await warehouse.publish('scan', ssccScan('SC1', caseSscc, { orderId: 'ORD-T1' }));
    await waitUntil(async () => (await code(caseEpc)).state === 'shipped');
    for (const can of cans.slice(0, 3)) expect(await code(can.epc)).toMatchObject({ state: 'shipped', shipped_to: dealerId, order_id: 'ORD-T1' });

    await warehouse.publish('scan', ssccScan('SC1', caseSscc, { orderId: 'ORD-T2' }));
    await waitUntil(async () => (await anomalies('shipped_twice')).length > 0);
    const [a] = await anomalies('shipped_twice');
    expect(a!.evidence).toMatchObject({ firstDestination: dealerId, firstOrder: 'ORD-T1', newDestination: otherDealerId, newOrder: 'ORD-T2' });
    expect((await code(cans[0]!.epc)).shipped_to).toBe(dealerId);
  });

  it('records invalid transitions as anomalies with evidence and leaves the codes as they were', async () => {
    // Shipping a code that was issued but never commissioned; a serial the brand never issued.
    await warehouse.publish('scan', linkScan('SC1', gtin, cans[3]!.serial, 'B2401', { orderId: 'ORD-T1' }));
    await factory.publish('scan', linkScan('SC1', gtin, 'FORGED0000001', 'B2401'));
    await waitUntil(async () => (await anomalies('not_issued')).length > 0 && (await anomalies('not_commissioned')).length > 0);
    expect((await code(cans[3]!.epc)).state).toBe('issued');
    expect(await db().selectFrom('codes').select('epc').where('serial', '=', 'FORGED0000001').execute()).toHaveLength(0);
    const [forged] = await anomalies('not_issued');
    expect(forged!.detail).toMatch(/never issued/);
  });

  it('records a gap in a device\'s sequence, and shows it filled when the late message comes', async () => {
    const before = await db().selectFrom('device_streams').select(['missing', 'max_seq']).where('device_code', '=', factory.code).executeTakeFirstOrThrow();
    const late = Number(before.max_seq) + 1;
    // Status carries the high-water mark, outside the sequence; then seq late and late+1 go missing.
    await factory.publish('status', { state: 'degraded', detail: { down: ['SC2'] } }, { seq: late - 1 });
    factory.seq = late + 1;
    await factory.publish('reject', { scannerId: 'SC1', raw: 'NOREAD', code: 'NO_READ', message: 'no read' });
    await waitUntil(async () => (await db().selectFrom('device_seq_gaps').select('id').where('device_code', '=', factory.code).execute()).length > 0);
    let stream = await db().selectFrom('device_streams').selectAll().where('device_code', '=', factory.code).executeTakeFirstOrThrow();
    expect(Number(stream.missing)).toBe(Number(before.missing) + 2);
    expect(stream.last_status).toBe('degraded');
    const res = await gw.call('GET', `/api/v1/trace/devices/${factory.code}/stream`, { token });
    expect(res.status).toBe(200);
    expect(res.body.gaps).toEqual([expect.objectContaining({ from_seq: late, to_seq: late + 1, open: 2 })]);
    expect(res.body.problems.map((p: { kind: string }) => p.kind)).toEqual(expect.arrayContaining(['seq_gap', 'scan_rejected']));

    await factory.publish('reject', { scannerId: 'SC1', raw: 'NOREAD', code: 'NO_READ', message: 'no read' }, { seq: late });
    await waitUntil(async () => Number((await db().selectFrom('device_streams').select('missing').where('device_code', '=', factory.code).executeTakeFirstOrThrow()).missing) === Number(before.missing) + 1);
    stream = await db().selectFrom('device_streams').selectAll().where('device_code', '=', factory.code).executeTakeFirstOrThrow();
    expect(Number(stream.max_seq)).toBe(late + 2);
  });

  it('refuses messages that break the contract, without changing state, and shows why in the device status', async () => {
    const topic = `cradle/v1/F-01/${factory.code}/scan`;
    await factory.publishRaw(topic, '{not json');
    // Published on this device's topic but claiming another device: events for another site's topic.
    const other = { v: 1, id: '0190a000-0000-7000-8000-000000000001', siteId: 'WH-C01', deviceId: warehouse.code, seq: 99, ts: new Date().toISOString(), ...linkScan('SC1', gtin, cans[3]!.serial, null) };
    await factory.publishRaw(topic, JSON.stringify(other));
    await waitUntil(async () => (await db().selectFrom('device_problems').select('kind').where('device_code', '=', factory.code).where('kind', 'in', ['invalid_payload', 'topic_mismatch']).execute()).length === 2);
    expect((await code(cans[3]!.epc)).state).toBe('issued');
    const res = await gw.call('GET', `/api/v1/trace/devices/${factory.code}/stream`, { token });
    expect(res.body.problems.find((p: { kind: string }) => p.kind === 'invalid_payload').detail).toMatch(/not JSON/);
    expect(res.body.problems.find((p: { kind: string }) => p.kind === 'topic_mismatch').detail).toMatch(/published on F-01/);
  });

  it('refuses messages of a revoked device', async () => {
    if (gw.broker) return; // the embedded broker already refuses a revoked device's connection and publishes
    const row = await db().selectFrom('devices').select('id').where('code', '=', warehouse.code).executeTakeFirstOrThrow();
    expect((await gw.call('PATCH', `/api/v1/devices/${row.id}`, { token, body: { status: 'revoked' } })).status).toBe(200);
    await warehouse.publish('scan', linkScan('SC1', gtin, cans[3]!.serial, null));
    await waitUntil(async () => (await db().selectFrom('device_problems').select('kind').where('device_code', '=', warehouse.code).where('kind', '=', 'revoked_device').execute()).length === 1);
    expect((await code(cans[3]!.epc)).state).toBe('issued');
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
void sql;
