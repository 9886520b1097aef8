import { startTestGateway, type TestGateway } from '../testing/gateway';
import { orderFixture } from './testing';

/**
 * Placing on the embedded database (PGlite): order_place and the stock's reservation function are database
 * functions (migration 006), so the embedded driver runs them too. orders.test.ts covers the rest on PostgreSQL.
 */
describe('placing an order on pglite', () => {
  let gw: TestGateway;
  let hq: string;
  let dealer: string;
  let f: ReturnType<typeof orderFixture>;
  let me: { party_id: string; region: string };
  let formula: Awaited<ReturnType<ReturnType<typeof orderFixture>['skus']>>;

  beforeAll(async () => {
    gw = await startTestGateway('pglite');
    [hq, dealer] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo')]);
    f = orderFixture(gw, hq);
    const partyId = (await gw.call('GET', '/api/v1/me', { token: dealer })).body.party_id as string;
    me = { party_id: partyId, region: (await gw.call('GET', `/api/v1/dealers/${partyId}`, { token: hq })).body.region_code };
    formula = await f.skus('formula', 5);
  }, 120_000);
  afterAll(() => gw?.stop());

  const place = (body: Record<string, unknown>) => gw.call('POST', '/api/v1/orders', { token: dealer, body });
  const orderBody = (lines: Array<{ gtin: string; quantity: number }>) => ({ idempotency_key: f.key(), delivery: { region_code: me.region, address: '武汉市江汉区测试路 1 号' }, lines });

  it('reserves the oldest acceptable batch, back-orders the rest, and records each transition', async () => {
    const sku = formula[0]!;
    const upc = sku.units_per_case;
    await f.receive(sku.gtin, 'WH-C01', 'P-NEAR', f.inDays(100), upc * 10); // too close to expiry for a first-tier dealer
    await f.receive(sku.gtin, 'WH-C01', 'P-OLD', f.inDays(300), upc * 2);
    await f.receive(sku.gtin, 'WH-C01', 'P-NEW', f.inDays(600), upc);
    const r = await place(orderBody([{ gtin: sku.gtin, quantity: upc * 4 }]));
    expect(r.status).toBe(201);
    expect(r.body.state).toBe('allocated');
    expect(r.body.lines[0]).toMatchObject({ allocated: upc * 3, back_ordered: upc });
    const detail = (await gw.call('GET', `/api/v1/orders/${r.body.id}`, { token: dealer })).body;
    expect(detail.allocations.map((a: { batch: string; quantity: number }) => [a.batch, a.quantity])).toEqual([['P-OLD', upc * 2], ['P-NEW', upc]]);
    expect(detail.history.map((h: { to_state: string }) => h.to_state)).toEqual(['draft', 'submitted', 'approved', 'allocated']);
    expect(detail.history[3].reason).toBe(`partly allocated: ${upc} units back-ordered`);
    const reserved = Object.fromEntries((await f.balances(sku.gtin)).map((b) => [b.batch, b.reserved]));
    expect(reserved).toMatchObject({ 'P-NEAR': 0, 'P-OLD': upc * 2, 'P-NEW': upc });
  });

  it('answers a replayed key with the same order and refuses it with another body, counting nothing twice', async () => {
    const sku = formula[1]!;
    await f.receive(sku.gtin, 'WH-C01', 'P-IDEM', f.inDays(500), sku.units_per_case * 5);
    const body = orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }]);
    const first = await place(body);
    expect(first.status).toBe(201);
    const again = await place(body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await place({ ...body, lines: [{ gtin: sku.gtin, quantity: sku.units_per_case * 2 }] });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('ORDER_KEY_REUSED');
    expect((await f.balances(sku.gtin))[0]!.reserved).toBe(sku.units_per_case);
  });

  it('holds an order over the credit limit with the figures and reserves nothing', async () => {
    const sku = formula[2]!;
    await f.receive(sku.gtin, 'WH-C01', 'P-CR', f.inDays(500), sku.units_per_case * 10);
    expect((await gw.call('PUT', `/api/v1/credit/${me.party_id}`, { token: hq, body: { credit_limit: 100, reason: 'test' } })).status).toBe(200);
    const r = await place(orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }]));
    expect(r.body.state).toBe('held');
    expect(r.body.hold_reasons).toEqual(['credit']);
    expect(r.body.hold_detail.credit).toMatchObject({ credit_limit: 100, order_total: r.body.total });
    expect((await f.balances(sku.gtin))[0]!.reserved).toBe(0);
    await gw.call('PUT', `/api/v1/credit/${me.party_id}`, { token: hq, body: { credit_limit: 1e9, reason: 'restore' } });
  });
});
