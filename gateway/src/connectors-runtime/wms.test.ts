import { startWmsSimulator, type WmsSimulator } from '@cradle/connectors';
import type { TestGateway } from '../testing/gateway';
import { apiKey, onHandAt, startGatewayWithConnectors, waitFor } from './testing';

/** The WMS connector against the WMS simulator: polling, webhooks, faults, replays, dispatch tasks. */
describe('WMS connector (pglite, in-process jobs)', () => {
  let sim: WmsSimulator;
  let gw: TestGateway;
  let hq: string;
  let pushKey: string;
  let gtins: string[];

  beforeAll(async () => {
    sim = await startWmsSimulator({ sites: ['WH-C01'] });
    // The demo catalogue's GTINs are deterministic; the WMS holds the first three formula SKUs.
    const probe = await startGatewayWithConnectors('pglite', {});
    const t = await probe.login('hq-admin');
    gtins = (await probe.call('GET', '/api/v1/skus?category=formula&limit=3', { token: t })).body.items.map((s: { gtin: string }) => s.gtin);
    await probe.stop();
    sim.receive('WH-C01', gtins[0]!, 'L-EARLY', '2026-12-31', 120);
    sim.receive('WH-C01', gtins[0]!, 'L-LATE', '2027-06-30', 200);
    sim.receive('WH-C01', gtins[1]!, 'L-1', '2027-01-31', 50);
    gw = await startGatewayWithConnectors('pglite', {
      wms: { baseUrl: sim.url, sites: ['WH-C01'], movementsEveryMs: 200, confirmationsEveryMs: 200, snapshotEveryMs: 3_600_000, pageSize: 2, retry: { attempts: 5, delayMs: 50, jitter: 0.2 } },
    });
    hq = await gw.login('hq-admin');
    pushKey = await apiKey(gw, hq, ['connectors:push']);
    sim.setWebhook({ url: `${gw.url}/api/v1/connectors/wms/webhook`, apiKey: pushKey });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await sim?.close();
  });

  it('pulls the WMS stock into the network view, page by page, with its freshness', async () => {
    await waitFor(async () => (await onHandAt(gw, hq, gtins[1]!, 'WH-C01', 'L-1'))?.on_hand === 50, 'the WMS stock to arrive');
    expect(await onHandAt(gw, hq, gtins[0]!, 'WH-C01', 'L-EARLY')).toEqual({ on_hand: 120, reserved: 0, in_transit: 0 });
    const net = await gw.call('GET', `/api/v1/stock/network?sku=${gtins[0]}`, { token: hq });
    const wh = net.body.items[0].locations.find((l: { location: { code: string } }) => l.location.code === 'WH-C01');
    expect(wh.data_as_of).not.toBeNull();
  });

  it('applies a movement delivered three times, out of order, by webhook and by polling, once', async () => {
    sim.move({ type: 'DMG', site: 'WH-C01', sku: gtins[1]!, lot: 'L-1', bestBefore: '2027-01-31', qtyOnHand: -5, qtyAllocated: 0, qtyInTransit: 0, ref: null });
    sim.move({ type: 'RET', site: 'WH-C01', sku: gtins[1]!, lot: 'L-1', bestBefore: '2027-01-31', qtyOnHand: 2, qtyAllocated: 0, qtyInTransit: 0, ref: null });
    const statuses = await sim.deliverWebhooks({ times: 3, shuffle: true });
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await onHandAt(gw, hq, gtins[1]!, 'WH-C01', 'L-1'))!.on_hand).toBe(47);
    // The poller reads the same movements from the feed later: still once.
    await waitFor(async () => {
      const c = await gw.call('GET', '/api/v1/connectors', { token: hq });
      return c.body.items[0].attempts_last_hour > 3;
    }, 'more polls');
    expect((await onHandAt(gw, hq, gtins[1]!, 'WH-C01', 'L-1'))!.on_hand).toBe(47);
  });

  it('dead-letters a webhook record with a bad field, naming its path, and applies the rest', async () => {
    const r = await gw.call('POST', '/api/v1/connectors/wms/webhook', {
      apiKey: pushKey,
      body: {
        movements: [
          { seq: 9001, movementId: 'HOOK-OK', type: 'RCV', site: 'WH-C01', sku: gtins[2], lot: 'L-H', bestBefore: '2027-03-01', qtyOnHand: 7, qtyAllocated: 0, qtyInTransit: 0, at: new Date().toISOString(), ref: null },
          { seq: 9002, movementId: 'HOOK-BAD', type: 'RCV', site: 'WH-C01', sku: gtins[2], lot: 'L-H', bestBefore: '2027-03-01', qtyOnHand: 'seven', qtyAllocated: 0, qtyInTransit: 0, at: new Date().toISOString(), ref: null },
          { seq: 9003, movementId: 'HOOK-SKU', type: 'RCV', site: 'WH-C01', sku: '06900000000000', lot: 'L-H', bestBefore: '2027-03-01', qtyOnHand: 1, qtyAllocated: 0, qtyInTransit: 0, at: new Date().toISOString(), ref: null },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.applied).toBe(1);
    expect(r.body.rejected).toEqual([
      { path: 'movements[1].qtyOnHand', message: expect.stringMatching(/number/) },
      { path: 'movements[2].sku', message: expect.stringMatching(/no SKU/) },
    ]);
    expect((await onHandAt(gw, hq, gtins[2]!, 'WH-C01', 'L-H'))!.on_hand).toBe(7);
    const dl = await gw.call('GET', '/api/v1/connectors/dead-letters?connector=wms-central', { token: hq });
    expect(dl.body.items.map((d: { record_key: string; field_path: string }) => [d.record_key, d.field_path])).toEqual(
      expect.arrayContaining([['HOOK-BAD', 'movements[1].qtyOnHand'], ['HOOK-SKU', 'movements[2].sku']]),
    );
    // The operator fixes nothing and replays: it is still refused, with the same path, and stays open.
    const bad = dl.body.items.find((d: { record_key: string }) => d.record_key === 'HOOK-BAD');
    const replay = await gw.call('POST', `/api/v1/connectors/dead-letters/${bad.id}/replay`, { token: hq });
    expect(replay.status).toBe(400);
    expect(replay.body.errors[0].field).toBe('movements[0].qtyOnHand');
  });

  it('shrugs off a WMS restart that replays old movements and an old snapshot', async () => {
    const before = await onHandAt(gw, hq, gtins[0]!, 'WH-C01', 'L-LATE');
    const statuses = await sim.restartAndReplay(1);
    expect(statuses.length).toBeGreaterThan(3);
    expect(await onHandAt(gw, hq, gtins[0]!, 'WH-C01', 'L-LATE')).toEqual(before);
    expect((await onHandAt(gw, hq, gtins[1]!, 'WH-C01', 'L-1'))!.on_hand).toBe(47);
    sim.resume();
  });

  it('pushes a dispatch task picked first-expiry-first-out, and the confirmation puts the goods in transit', async () => {
    const store = (await gw.call('GET', '/api/v1/stores?limit=1', { token: hq })).body.items[0].code as string;
    const r = await gw.call('POST', '/api/v1/connectors/wms/dispatch-tasks', {
      token: hq,
      body: { task_no: 'DT-0001', warehouse: 'WH-C01', destination: store, lines: [{ sku: gtins[0], quantity: 150 }] },
    });
    expect(r.status).toBe(202);
    expect(r.body.lines.map((l: { batch: string; quantity: number }) => [l.batch, l.quantity])).toEqual([['L-EARLY', 120], ['L-LATE', 30]]);
    await waitFor(() => sim.tasks.get('DT-0001'), 'the task to reach the WMS');
    // The WMS allocates it: reserved in the ledger once the feed brings the allocation.
    await waitFor(async () => (await onHandAt(gw, hq, gtins[0]!, 'WH-C01', 'L-LATE'))?.reserved === 30, 'the allocation');
    sim.confirmDispatch('DT-0001');
    await waitFor(async () => (await onHandAt(gw, hq, gtins[0]!, store, 'L-EARLY'))?.in_transit === 120, 'goods in transit to the store');
    await waitFor(async () => (await onHandAt(gw, hq, gtins[0]!, 'WH-C01', 'L-LATE'))?.on_hand === 170, 'the pick');
    expect(await onHandAt(gw, hq, gtins[0]!, 'WH-C01', 'L-LATE')).toEqual({ on_hand: 170, reserved: 0, in_transit: 0 });
    expect(await onHandAt(gw, hq, gtins[0]!, 'WH-C01', 'L-EARLY')).toBeNull();
    await waitFor(async () => (await gw.call('GET', '/api/v1/connectors/wms/dispatch-tasks/DT-0001', { token: hq })).body.status === 'confirmed', 'the task confirmed');
    // Posting the same task again changes nothing and sends nothing twice.
    await gw.call('POST', '/api/v1/connectors/wms/dispatch-tasks', { token: hq, body: { task_no: 'DT-0001', warehouse: 'WH-C01', destination: store, lines: [{ sku: gtins[0], quantity: 150 }] } });
    expect(sim.tasks.get('DT-0001')!.received).toBe(1);
  });

  it('reports its health in /readyz and /metrics', async () => {
    const ready = await gw.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.connectors.connectors[0]).toMatchObject({ connector: 'wms-central', breaker: 'closed' });
    expect(ready.body.checks.connectors.connectors[0].last_success_at).not.toBeNull();
    const metrics = await gw.call('GET', '/metrics');
    expect(metrics.body).toMatch(/cradle_connector_last_success_timestamp_seconds\{connector="wms-central"\} \d/);
    expect(metrics.body).toMatch(/cradle_connector_error_ratio\{connector="wms-central"\} 0/);
  });
});
