/**
 * Two batches in flight on PostgreSQL: the factory's batch packs cans into a case, the next batch (the warehouse's)
 * ships the case. The second batch may store its events while the first is still open, but it must not read the
 * code families before the first committed: its recursive family query would not see the cans' new parent link and
 * would ship the case without them. The first batch is held open before its commit to make that window wide.
 */
import { newSourceId } from '@cradle/protocol';
import { issueCodes } from '../codes/issue';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { bindDispatchOrder } from '../trace/dispatch';
import { createIngestHints, type InboundMessage, ingestBatch } from './batch';
import { linkScan, orderScan, registerTestDevice, ssccScan, type TestDevice } from './testing';
import { BatchAttempt, type BatchTurn } from './turns';

describe('ingest batches in flight on postgres', () => {
  let gw: TestGateway;
  const devices: TestDevice[] = [];
  afterAll(async () => {
    for (const d of devices) await d.close().catch(() => undefined);
    await gw?.stop();
  });

  it('ships a case with the cans packed into it by the batch before, though that batch had not committed yet', async () => {
    gw = await startTestGateway('postgres');
    const db = gw.database.db;
    const token = await gw.login('hq-admin');
    const gtin = (await db.selectFrom('skus').select('gtin').where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow()).gtin;
    const dealer = (await db.selectFrom('parties').select('id').where('kind', '=', 'dealer').where('tier', '=', 1).orderBy('code').executeTakeFirstOrThrow()).id;
    const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
    const items = await issueCodes(db, { idempotencyKey: `p-${tag}-i`, kind: 'item', gtin, batchCode: `P${tag}`, quantity: 3, requestedBy: 'test' });
    const cases = await issueCodes(db, { idempotencyKey: `p-${tag}-c`, kind: 'case', gtin, quantity: 1, requestedBy: 'test' });
    const cans = await db.selectFrom('codes').select(['serial', 'epc']).where('request_id', '=', items.request.id).execute();
    const sscc = (await db.selectFrom('codes').select('sscc').where('request_id', '=', cases.request.id).executeTakeFirstOrThrow()).sscc!;
    const order = `ORD-P${tag}`;
    await bindDispatchOrder(db, { orderId: order, destinationId: dealer, by: 'test' });
    const factory = await registerTestDevice(gw, token, 'F-01');
    const warehouse = await registerTestDevice(gw, token, 'WH-C01');
    devices.push(factory, warehouse);
    const message = (d: TestDevice, seq: number, body: Record<string, unknown>): InboundMessage => ({
      topic: `cradle/v1/${d.siteCode}/${d.code}/scan`,
      payload: Buffer.from(JSON.stringify({ v: 1, id: newSourceId(), siteId: d.siteCode, deviceId: d.code, seq, ts: new Date().toISOString(), ...body })),
    });
    const packing = cans.map((c, i) => message(factory, i + 1, linkScan('SC1', gtin, c.serial!, `P${tag}`, { sscc })));
    const shipping = [message(warehouse, 1, orderScan('SC1', order)), message(warehouse, 2, ssccScan('SC1', sscc, { orderId: order }))];

    const first = new BatchAttempt(null);
    const second = new BatchAttempt(first);
    const firstTurn = first.turn();
    const heldOpen: BatchTurn = {
      enter: (stage) => firstTurn.enter(stage),
      beforeCommit: async () => {
        await new Promise((r) => setTimeout(r, 500));
        await firstTurn.beforeCommit();
      },
    };
    const hints = createIngestHints();
    await Promise.all([
      ingestBatch(db, packing, hints, heldOpen).then(() => first.committed()),
      ingestBatch(db, shipping, hints, second.turn()).then(() => second.committed()),
    ]);

    const rows = await db.selectFrom('codes').select(['epc', 'state', 'shipped_to', 'order_id']).where('request_id', '=', items.request.id).execute();
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatchObject({ state: 'shipped', shipped_to: dealer, order_id: order });
    const anomalies = await db.selectFrom('anomalies').select('kind').where('epc', 'in', cans.map((c) => c.epc)).execute();
    expect(anomalies).toEqual([]);
  }, 60_000);
});
