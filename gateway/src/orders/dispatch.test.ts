import { startWmsSimulator, type WmsSimulator } from '@cradle/connectors';
import type { MqttClient } from 'mqtt';
import { startGatewayWithConnectors, waitFor } from '../connectors-runtime/testing';
import { registerTestDevice, ssccScan, type TestDevice } from '../ingest/testing';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { compareDispatch } from './dispatch';
import { orderFixture } from './testing';

describe('compareDispatch', () => {
  it('matches per GTIN and batch, and names short, over, wrong batch and wrong SKU', () => {
    const allocated = [{ gtin: 'A', batch: 'B1', quantity: 12 }, { gtin: 'A', batch: 'B2', quantity: 6 }, { gtin: 'C', batch: 'C1', quantity: 6 }];
    const scanned = [
      { gtin: 'A', batch: 'B1', units: 6, cases: 1 },
      { gtin: 'A', batch: 'B1', units: 6, cases: 1 },
      { gtin: 'A', batch: 'B2', units: 12, cases: 2 },
      { gtin: 'A', batch: 'B9', units: 6, cases: 1 },
      { gtin: 'Z', batch: 'Z1', units: 6, cases: 1 },
    ];
    const r = compareDispatch(allocated, scanned);
    expect(r.lines.map((l) => [l.gtin, l.batch, l.status])).toEqual([['A', 'B1', 'matched'], ['A', 'B2', 'over'], ['A', 'B9', 'wrong_batch'], ['C', 'C1', 'short'], ['Z', 'Z1', 'wrong_sku']]);
    expect(r.discrepancies).toHaveLength(4);
    expect(compareDispatch(allocated.slice(0, 1), scanned.slice(0, 2)).discrepancies).toEqual([]);
  });
});

/**
 * Dispatch end to end on PostgreSQL: the dispatch task sends set_order to the warehouse's edge agent, the cases are
 * commissioned at the factory and scanned on the dispatch line through the real MQTT ingest, the order dispatches
 * when the scans match (stock goes in transit to the buyer), and the buyer's receiving scans deliver it.
 */
describe('dispatch on postgres', () => {
  let gw: TestGateway;
  let hq: string;
  let dealer: string;
  let dealer2: string;
  let store: string;
  let f: ReturnType<typeof orderFixture>;
  let me: { party_id: string; region: string; code: string };
  let factory: TestDevice;
  let dock: TestDevice;
  let dealerDock: TestDevice;
  let formula: Awaited<ReturnType<ReturnType<typeof orderFixture>['skus']>>;
  const commands: Array<{ topic: string; msg: { command: string; args: { orderId: string; line: string } } }> = [];

  beforeAll(async () => {
    gw = await startTestGateway('postgres');
    [hq, dealer, dealer2, store] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo'), gw.login('dealer-demo-2'), gw.login('store-demo')]);
    f = orderFixture(gw, hq);
    const m = (await gw.call('GET', '/api/v1/me', { token: dealer })).body;
    const p = (await gw.call('GET', `/api/v1/dealers/${m.party_id}`, { token: hq })).body;
    me = { party_id: m.party_id, region: p.region_code, code: p.code };
    formula = await f.skus('formula', 40, 20);
    factory = await registerTestDevice(gw, hq, 'F-01');
    dock = await registerTestDevice(gw, hq, 'WH-C01');
    dealerDock = await registerTestDevice(gw, hq, me.code);
    for (const d of [dock, dealerDock]) {
      await (d.client as MqttClient).subscribeAsync(`cradle/v1/${d.siteCode}/${d.code}/command`, { qos: 1 });
      d.client.on('message', (topic, payload) => commands.push({ topic, msg: JSON.parse(payload.toString()) }));
    }
  }, 120_000);
  afterAll(async () => {
    for (const d of [factory, dock, dealerDock]) await d?.close();
    await gw?.stop();
  });

  async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not reached`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const orderBody = (lines: Array<{ gtin: string; quantity: number }>) => ({ idempotency_key: f.key(), delivery: { region_code: me.region, address: '武汉市江汉区测试路 1 号' }, lines });

  /** A first-tier order of `cases` cases of one SKU, allocated from one batch received at WH-C01 for it. */
  async function allocatedOrder(sku: (typeof formula)[number], cases: number, batch: string) {
    await f.receive(sku.gtin, 'WH-C01', batch, f.inDays(500), sku.units_per_case * (cases + 5));
    const r = await gw.call('POST', '/api/v1/orders', { token: dealer, body: orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case * cases }]) });
    expect(r.status).toBe(201);
    expect(r.body.state).toBe('allocated');
    return r.body as { id: string; number: number };
  }

  /** Case labels (SSCCs) for a GTIN and batch, commissioned on the factory line through MQTT. */
  async function cases(gtin: string, batch: string, n: number): Promise<string[]> {
    const req = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body: { idempotencyKey: f.key('cases'), kind: 'case', gtin, batch, quantity: n } });
    expect(req.status).toBe(201);
    const codes = (await gw.call('GET', `/api/v1/codes/requests/${req.body.id}/codes`, { token: hq })).body.items as Array<{ sscc: string }>;
    for (const c of codes) await factory.publish('scan', ssccScan('PACK1', c.sscc));
    await waitUntil(async () => (await gw.database.db.selectFrom('codes').select('state').where('request_id', '=', req.body.id).execute()).every((r) => r.state === 'commissioned'), 'commissioned');
    return codes.map((c) => c.sscc);
  }

  /** The dispatch line reads the cases with the order open (as the edge agent does after set_order). */
  async function ship(orderId: string, ssccs: string[]) {
    const before = (await gw.call('GET', `/api/v1/orders/${orderId}/dispatch`, { token: hq })).body.units.length as number;
    for (const s of ssccs) await dock.publish('scan', ssccScan('DOCK1', s, { orderId }));
    await waitUntil(async () => (await gw.call('GET', `/api/v1/orders/${orderId}/dispatch`, { token: hq })).body.units.length === before + ssccs.length, 'shipping scans bound');
  }

  const balance = (gtin: string, location: string, batch: string) =>
    gw.database.db.selectFrom('stock_balances').innerJoin('skus', 'skus.id', 'stock_balances.sku_id')
      .select(['on_hand', 'reserved', 'in_transit']).where('skus.gtin', '=', gtin).where('location_id', '=', location).where('batch', '=', batch).executeTakeFirst();

  it('dispatches an order whose scanned cases match, puts the stock in transit, and delivers it on the buyer’s receiving scans', async () => {
    const sku = formula[0]!;
    const upc = sku.units_per_case;
    const o = await allocatedOrder(sku, 2, 'DSP-OK');
    const wh = (await gw.database.db.selectFrom('parties').select('id').where('code', '=', 'WH-C01').executeTakeFirstOrThrow()).id;

    const task = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch-task`, { token: hq, body: { device: dock.code } });
    expect(task.status).toBe(200);
    expect(task.body.order.state).toBe('picking');
    expect(task.body.commands).toEqual([{ device: dock.code, site: 'WH-C01', sent: true }]);
    expect(task.body.wms_tasks).toEqual([expect.objectContaining({ task_no: `ORD-${o.number}-WH-C01`, status: 'not_sent' })]);
    await waitUntil(async () => commands.some((c) => c.msg.args.orderId === o.id), 'set_order received');
    expect(commands.find((c) => c.msg.args.orderId === o.id)).toMatchObject({ topic: `cradle/v1/WH-C01/${dock.code}/command`, msg: { command: 'set_order', args: { line: 'default', orderId: o.id } } });

    const labels = await cases(sku.gtin, 'DSP-OK', 2);
    await ship(o.id, labels);
    const view = (await gw.call('GET', `/api/v1/orders/${o.id}/dispatch`, { token: dealer })).body;
    expect(view).toMatchObject({ state: 'picking', matches: true, cases_scanned: 2, discrepancies: [] });
    expect(view.lines).toEqual([{ gtin: sku.gtin, batch: 'DSP-OK', allocated_units: upc * 2, scanned_units: upc * 2, scanned_cases: 2, status: 'matched' }]);
    const shipped = await gw.database.db.selectFrom('codes').select(['state', 'shipped_to']).where('order_id', '=', o.id).where('kind', '=', 'case').execute();
    expect(shipped.every((c) => c.state === 'shipped' && c.shipped_to === me.party_id)).toBe(true);

    const before = await balance(sku.gtin, wh, 'DSP-OK');
    const done = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: hq, body: {} });
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('dispatched');
    expect(done.body.lines[0].dispatched).toBe(upc * 2);
    expect(await balance(sku.gtin, wh, 'DSP-OK')).toMatchObject({ on_hand: before!.on_hand - upc * 2, reserved: before!.reserved - upc * 2 });
    expect(await balance(sku.gtin, me.party_id, 'DSP-OK')).toMatchObject({ on_hand: 0, in_transit: upc * 2 });

    // The dealer's dock scans the cases in: the order is delivered (picked up on the next look at it, or by the job).
    for (const s of labels) await dealerDock.publish('scan', ssccScan('RECV1', s));
    await waitUntil(async () => (await gw.call('GET', `/api/v1/orders/${o.id}/dispatch`, { token: dealer })).body.state === 'delivered', 'delivered');
    expect(await balance(sku.gtin, me.party_id, 'DSP-OK')).toMatchObject({ on_hand: upc * 2, in_transit: 0 });
    const detail = (await gw.call('GET', `/api/v1/orders/${o.id}`, { token: hq })).body;
    expect(detail.lines[0].received).toBe(upc * 2);
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/close`, { token: dealer, body: {} })).status).toBe(403);
    const closed = await gw.call('POST', `/api/v1/orders/${o.id}/close`, { token: hq, body: { reason: 'paid' } });
    expect(closed.body.state).toBe('closed');
    const history = (await gw.call('GET', `/api/v1/orders/${o.id}`, { token: hq })).body.history as Array<{ from_state: string; to_state: string; actor: string }>;
    expect(history.slice(-4).map((h) => `${h.from_state}→${h.to_state}:${h.actor}`)).toEqual(['allocated→picking:hq-admin', 'picking→dispatched:hq-admin', 'dispatched→delivered:receiving-scan', 'delivered→closed:hq-admin']);
  }, 120_000);

  it('shows short, over, wrong batch and wrong SKU before the truck leaves, and refuses to dispatch until HQ overrides with a reason', async () => {
    const sku = formula[1]!;
    const upc = sku.units_per_case;
    const o = await allocatedOrder(sku, 3, 'DSP-MIS');
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/dispatch-task`, { token: hq, body: {} })).status).toBe(200);
    await ship(o.id, [...(await cases(sku.gtin, 'DSP-MIS', 2)), ...(await cases(sku.gtin, 'DSP-WRONG', 1)), ...(await cases(formula[2]!.gtin, 'DSP-OTHER', 1))]);
    const view = (await gw.call('GET', `/api/v1/orders/${o.id}/dispatch`, { token: hq })).body;
    expect(view.matches).toBe(false);
    expect(view.discrepancies.map((d: { batch: string; status: string }) => [d.batch, d.status]).sort()).toEqual([['DSP-MIS', 'short'], ['DSP-OTHER', 'wrong_sku'], ['DSP-WRONG', 'wrong_batch']]);
    expect(view.discrepancies.find((d: { status: string }) => d.status === 'short')).toMatchObject({ allocated_units: upc * 3, scanned_units: upc * 2 });
    const refused = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: hq, body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ORDER_DISPATCH_MISMATCH');
    expect(refused.body.discrepancies.map((d: { status: string }) => d.status).sort()).toEqual(['short', 'wrong_batch', 'wrong_sku']);

    await ship(o.id, await cases(sku.gtin, 'DSP-MIS', 2));
    const over = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: hq, body: {} });
    expect(over.status).toBe(409);
    expect(over.body.discrepancies.find((d: { batch: string }) => d.batch === 'DSP-MIS')).toMatchObject({ status: 'over', scanned_units: upc * 4, allocated_units: upc * 3 });
    expect((await gw.call('GET', `/api/v1/orders/${o.id}`, { token: hq })).body.state).toBe('picking');

    const ok = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: hq, body: { override_reason: 'extra case agreed by phone; strays unloaded at the gate' } });
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe('dispatched');
    const last = (await gw.call('GET', `/api/v1/orders/${o.id}`, { token: hq })).body.history.pop();
    expect(last).toMatchObject({ to_state: 'dispatched', reason: 'extra case agreed by phone; strays unloaded at the gate' });
    expect(last.detail.override.discrepancies).toHaveLength(3);
  }, 120_000);

  it('refuses transitions out of order', async () => {
    const sku = formula[3]!;
    const o = await allocatedOrder(sku, 1, 'DSP-SEQ');
    const expectBad = async (path: string, body: Record<string, unknown> = {}) => {
      const r = await gw.call('POST', `/api/v1/orders/${o.id}/${path}`, { token: hq, body });
      expect([path, r.status, r.body.code]).toEqual([path, 409, 'ORDER_BAD_TRANSITION']);
    };
    await expectBad('dispatch', { override_reason: 'skip the line' });
    await expectBad('receive');
    await expectBad('close');
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/dispatch-task`, { token: hq, body: {} })).status).toBe(200);
    await expectBad('receive');
    await expectBad('close');
    const draft = await gw.call('POST', '/api/v1/orders', { token: dealer, body: { ...orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }]), submit: false } });
    const r = await gw.call('POST', `/api/v1/orders/${draft.body.id}/dispatch-task`, { token: hq, body: {} });
    expect([r.status, r.body.code]).toEqual([409, 'ORDER_BAD_TRANSITION']);
    // Asking again while picking re-sends set_order and changes nothing else.
    const again = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch-task`, { token: hq, body: {} });
    expect(again.status).toBe(200);
    expect(again.body.resent).toBe(true);
  }, 120_000);

  it('lets HQ and the selling party dispatch, the buyer receive, and answers 404 to everyone else', async () => {
    // A store's order from its dealer: the dealer sells, from its own stock.
    const sku = formula[4]!;
    const storeParty = (await gw.call('GET', '/api/v1/me', { token: store })).body.party_id;
    const store1 = (await gw.call('GET', `/api/v1/stores/${storeParty}`, { token: hq })).body;
    await f.receive(sku.gtin, me.code, 'DSP-PERM', f.inDays(500), 50);
    const o = (await gw.call('POST', '/api/v1/orders', { token: store, body: { ...orderBody([{ gtin: sku.gtin, quantity: 5 }]), delivery: { region_code: store1.region_code, address: '门店' } } })).body;
    expect(o).toMatchObject({ state: 'allocated', seller_id: me.party_id });

    for (const [path, method] of [['dispatch-task', 'POST'], ['dispatch', 'GET'], ['dispatch', 'POST'], ['receive', 'POST'], ['close', 'POST']] as const) {
      expect([path, method, (await gw.call(method, `/api/v1/orders/${o.id}/${path}`, { token: dealer2, ...(method === 'POST' ? { body: {} } : {}) })).status]).toEqual([path, method, 404]);
    }
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/dispatch-task`, { token: store, body: {} })).status).toBe(403);
    const task = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch-task`, { token: dealer, body: {} });
    expect(task.status).toBe(200);
    expect(task.body.commands).toEqual([{ device: dealerDock.code, site: me.code, sent: true }]);
    expect(task.body.wms_tasks).toEqual([]);
    expect((await gw.call('GET', `/api/v1/orders/${o.id}/dispatch`, { token: store })).status).toBe(200);
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: store, body: {} })).status).toBe(403);
    // The seller cannot override a mismatch (nothing scanned); only HQ may.
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: dealer, body: { override_reason: 'trust me' } })).status).toBe(409);
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: hq, body: { override_reason: 'loose units handed over at the counter' } })).status).toBe(200);
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/receive`, { token: dealer, body: {} })).status).toBe(403);
    const received = await gw.call('POST', `/api/v1/orders/${o.id}/receive`, { token: store, body: { note: 'all there' } });
    expect(received.status).toBe(200);
    expect(received.body.state).toBe('delivered');
    expect(await balance(sku.gtin, storeParty, 'DSP-PERM')).toMatchObject({ on_hand: 5, in_transit: 0 });
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/close`, { token: dealer, body: {} })).body.state).toBe('closed');
  }, 120_000);
});

/** With a WMS: the order's picks go to the WMS as a task; its PICK movements and confirmation move the goods, once. */
describe('dispatch through the WMS connector (postgres, WMS simulator)', () => {
  let sim: WmsSimulator;
  let gw: TestGateway;

  beforeAll(async () => {
    sim = await startWmsSimulator({ sites: ['WH-C01'] });
    gw = await startGatewayWithConnectors('postgres', {
      wms: { baseUrl: sim.url, sites: ['WH-C01'], movementsEveryMs: 200, confirmationsEveryMs: 200, snapshotEveryMs: 3_600_000, pageSize: 50, retry: { attempts: 5, delayMs: 50, jitter: 0.2 } },
    });
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await sim?.close();
  });

  it('pushes the allocated batches as a WMS task; after the confirmation the stock is in transit once, and on hand at the buyer once received', async () => {
    const [hq, dealer] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo')]);
    const f = orderFixture(gw, hq);
    const m = (await gw.call('GET', '/api/v1/me', { token: dealer })).body;
    const d = (await gw.call('GET', `/api/v1/dealers/${m.party_id}`, { token: hq })).body;
    const sku = (await f.skus('formula', 1, 30))[0]!;
    const q = sku.units_per_case * 2;
    const at = (loc: string) => gw.database.db.selectFrom('stock_balances').innerJoin('skus', 'skus.id', 'stock_balances.sku_id').innerJoin('parties', 'parties.id', 'stock_balances.location_id')
      .select(['on_hand', 'reserved', 'in_transit']).where('skus.gtin', '=', sku.gtin).where('parties.code', '=', loc).where('batch', '=', 'WMS-1').executeTakeFirst();
    // The WMS receives the goods; its movement feed brings them into the ledger.
    sim.receive('WH-C01', sku.gtin, 'WMS-1', f.inDays(500), q * 3);
    await waitFor(async () => (await at('WH-C01'))?.on_hand === q * 3, 'the WMS stock to arrive');
    const o = (await gw.call('POST', '/api/v1/orders', { token: dealer, body: { idempotency_key: f.key(), delivery: { region_code: d.region_code, address: 'x' }, lines: [{ gtin: sku.gtin, quantity: q }] } })).body;
    expect(o.state).toBe('allocated');
    const task = await gw.call('POST', `/api/v1/orders/${o.id}/dispatch-task`, { token: hq, body: {} });
    expect(task.status).toBe(200);
    const taskNo = `ORD-${o.number}-WH-C01`;
    expect(task.body.wms_tasks).toEqual([expect.objectContaining({ task_no: taskNo, status: 'pending' })]);
    const pushed = await waitFor(() => sim.tasks.get(taskNo), 'the task to reach the WMS');
    expect(pushed.lines.map((l) => [l.sku, l.lot, l.qty])).toEqual([[sku.gtin, 'WMS-1', q]]);

    expect((await gw.call('POST', `/api/v1/orders/${o.id}/dispatch`, { token: hq, body: { override_reason: 'no line scanner at this dock' } })).status).toBe(200);
    sim.confirmDispatch(taskNo);
    await waitFor(async () => (await at(d.code))?.in_transit === q, 'goods in transit to the dealer');
    await waitFor(async () => (await at('WH-C01'))?.on_hand === q * 2, 'the pick');
    expect(await at('WH-C01')).toEqual({ on_hand: q * 2, reserved: 0, in_transit: 0 });
    expect((await gw.call('POST', `/api/v1/orders/${o.id}/receive`, { token: dealer, body: {} })).body.state).toBe('delivered');
    expect(await at(d.code)).toEqual({ on_hand: q, reserved: 0, in_transit: 0 });
  }, 120_000);
});
