import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { orderFixture } from './testing';

/**
 * Ordering end to end on PostgreSQL, one demo gateway for the file: pricing frozen on the order, idempotency, bad
 * input that changes nothing, first-expiry-first-out reservations, back-orders, credit and region holds, permissions,
 * CSV, webhooks, and the oversell test (many parallel orders for the last units).
 */
describe('ordering on postgres', () => {
  let gw: TestGateway;
  let hq: string;
  let dealer: string;
  let dealer2: string;
  let store: string;
  let f: ReturnType<typeof orderFixture>;
  let me: { party_id: string; region: string };
  let other: { party_id: string; region: string };
  let storeParty: string;
  let formula: Awaited<ReturnType<ReturnType<typeof orderFixture>['skus']>>;

  beforeAll(async () => {
    gw = await startTestGateway('postgres');
    [hq, dealer, dealer2, store] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo'), gw.login('dealer-demo-2'), gw.login('store-demo')]);
    f = orderFixture(gw, hq);
    const who = async (token: string) => {
      const m = (await gw.call('GET', '/api/v1/me', { token })).body;
      const p = (await gw.call('GET', `/api/v1/dealers/${m.party_id}`, { token: hq })).body;
      return { party_id: m.party_id as string, region: p.region_code as string };
    };
    me = await who(dealer);
    other = await who(dealer2);
    storeParty = (await gw.call('GET', '/api/v1/me', { token: store })).body.party_id;
    formula = await f.skus('formula', 40);
  }, 120_000);
  afterAll(() => gw?.stop());

  const place = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => gw.call('POST', '/api/v1/orders', { token, body, headers });
  const orderBody = (lines: Array<{ gtin: string; quantity: number; unit_price?: number }>, extra: Record<string, unknown> = {}) => ({
    idempotency_key: f.key(), delivery: { region_code: me.region, address: '武汉市江汉区测试路 1 号' }, lines, ...extra,
  });

  it('prices every line from the regional table in force (client prices ignored), reserves the oldest acceptable batch, and records each transition', async () => {
    const sku = formula[0]!;
    await f.receive(sku.gtin, 'WH-C01', 'NEAR-1', f.inDays(100), sku.units_per_case * 10); // too close to expiry for a first-tier dealer (240 days)
    await f.receive(sku.gtin, 'WH-C01', 'OLD-1', f.inDays(300), sku.units_per_case * 2);
    await f.receive(sku.gtin, 'WH-C01', 'NEW-1', f.inDays(600), sku.units_per_case * 10);
    const table = await gw.call('GET', `/api/v1/price-tables/${me.region}?limit=500`, { token: hq });
    const price = table.body.items.find((i: { gtin: string }) => i.gtin === sku.gtin).prices.first_tier as number;

    const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case * 3, unit_price: 0.01 }]));
    expect(r.status).toBe(201);
    expect(r.body.state).toBe('allocated');
    expect(r.body.lines[0].unit_price).toBe(price);
    expect(r.body.total).toBeCloseTo(price * sku.units_per_case * 3, 2);
    expect(r.body.ignored_fields).toEqual(['lines.0.unit_price']);
    expect(r.body.seller_id).toBeNull();

    const detail = (await gw.call('GET', `/api/v1/orders/${r.body.id}`, { token: dealer })).body;
    expect(detail.allocations.map((a: { batch: string; quantity: number }) => [a.batch, a.quantity])).toEqual([['OLD-1', sku.units_per_case * 2], ['NEW-1', sku.units_per_case]]);
    expect(detail.history.map((h: { from_state: string | null; to_state: string }) => `${h.from_state}→${h.to_state}`)).toEqual(['null→draft', 'draft→submitted', 'submitted→approved', 'approved→allocated']);
    expect(detail.history[0].actor).toBe('dealer-demo');
    const balances = await f.balances(sku.gtin);
    expect(balances.find((b) => b.batch === 'NEAR-1')!.reserved).toBe(0);
    expect(balances.find((b) => b.batch === 'OLD-1')!.reserved).toBe(sku.units_per_case * 2);
  });

  it('answers a replayed key with the same order, and refuses the key with another body (409) without a second order', async () => {
    const sku = formula[1]!;
    await f.receive(sku.gtin, 'WH-C01', 'B-IDEM', f.inDays(500), sku.units_per_case * 5);
    const body = orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }]);
    const first = await place(dealer, body);
    expect(first.status).toBe(201);
    const again = await place(dealer, body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.replayed).toBe(true);
    const before = await f.countOrders();
    const changed = await place(dealer, { ...body, lines: [{ gtin: sku.gtin, quantity: sku.units_per_case * 2 }] });
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('ORDER_KEY_REUSED');
    expect(await f.countOrders()).toBe(before);
    expect((await f.balances(sku.gtin))[0]!.reserved).toBe(sku.units_per_case);
    // The header works as the key too.
    const { idempotency_key: _, ...noKey } = body;
    const viaHeader = await place(dealer, noKey, { 'idempotency-key': body.idempotency_key });
    expect(viaHeader.body.id).toBe(first.body.id);
  });

  it('places one order when the same key arrives several times at once; the others replay it and reserve nothing', async () => {
    const sku = formula[14]!;
    await f.receive(sku.gtin, 'WH-C01', 'B-RACE-KEY', f.inDays(500), sku.units_per_case * 20);
    const body = orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }]);
    const before = await f.countOrders();
    const results = await Promise.all(Array.from({ length: 6 }, () => place(dealer, body)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await f.countOrders()).toBe(before + 1);
    const reserved = (await f.balances(sku.gtin)).reduce((s, b) => s + b.reserved, 0);
    expect(reserved).toBe(sku.units_per_case);
  });

  it('refuses bad input with a clear error naming the field, and nothing changes', async () => {
    const sku = formula[2]!;
    const before = await f.countOrders();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [orderBody([{ gtin: '06901234999996', quantity: 6 }]), 400, 'body.lines.0.gtin'],
      [orderBody([{ gtin: sku.gtin, quantity: 0 }]), 400, 'body.lines.0.quantity'],
      [orderBody([{ gtin: sku.gtin, quantity: -6 }]), 400, 'body.lines.0.quantity'],
      [orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case + 1 }]), 400, 'body.lines.0.quantity'],
      [orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }], { buyer_id: other.party_id }), 403, 'body.buyer_id'],
      [orderBody([]), 400, 'body.lines'],
      [{ lines: [{ gtin: sku.gtin, quantity: 6 }], delivery: { region_code: me.region, address: 'x' } }, 400, 'body.idempotency_key'],
    ];
    for (const [body, status, field] of cases) {
      const r = await place(dealer, body);
      expect([r.status, r.body.errors?.[0]?.field ?? r.body.errors]).toEqual([status, field]);
    }
    expect(await f.countOrders()).toBe(before);
  });

  it('refuses orders for a suspended account at once (even one that just ordered), and nothing changes', async () => {
    const dealers = (await gw.call('GET', '/api/v1/dealers?tier=1&limit=20', { token: hq })).body.items;
    const victim = dealers.find((d: { id: string }) => d.id !== me.party_id && d.id !== other.party_id);
    const forVictim = () => place(hq, { ...orderBody([{ gtin: formula[3]!.gtin, quantity: formula[3]!.units_per_case }]), buyer_id: victim.id, delivery: { region_code: victim.region_code, address: 'x' } });
    expect((await forVictim()).status).toBe(201); // placing now holds this buyer as active
    expect((await gw.call('PATCH', `/api/v1/dealers/${victim.id}`, { token: hq, body: { status: 'suspended' } })).status).toBe(200);
    const before = await f.countOrders();
    const r = await forVictim();
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('ORDER_ACCOUNT_SUSPENDED');
    expect(await f.countOrders()).toBe(before);
    await gw.call('PATCH', `/api/v1/dealers/${victim.id}`, { token: hq, body: { status: 'active' } });
    expect((await forVictim()).status).toBe(201);
  });

  it('allocates what there is, back-orders the rest with a pointer to transfer options, and reserves the rest when stock arrives', async () => {
    const sku = formula[4]!;
    const upc = sku.units_per_case;
    await f.receive(sku.gtin, 'WH-R03', 'FAR-1', f.inDays(500), upc * 2);
    const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: upc * 5 }]));
    expect(r.body.state).toBe('allocated');
    expect(r.body.lines[0]).toMatchObject({ allocated: upc * 2, back_ordered: upc * 3, transfer_options: `/api/v1/stock/network?sku=${sku.gtin}` });
    await f.receive(sku.gtin, 'WH-C01', 'LATE-1', f.inDays(500), upc * 10);
    const more = await gw.call('POST', `/api/v1/orders/${r.body.id}/allocate`, { token: hq });
    expect(more.status).toBe(200);
    expect(more.body.lines[0]).toMatchObject({ allocated: upc * 5, back_ordered: 0, transfer_options: null });
    const nothing = await gw.call('POST', `/api/v1/orders/${r.body.id}/allocate`, { token: hq });
    expect(nothing.status).toBe(409);
  });

  it('holds an order over the credit limit with the figures; the dealer cannot approve it, HQ overrides with a reason', async () => {
    const sku = formula[5]!;
    await f.receive(sku.gtin, 'WH-C01', 'CR-1', f.inDays(500), sku.units_per_case * 10);
    expect((await gw.call('PUT', `/api/v1/credit/${me.party_id}`, { token: hq, body: { credit_limit: 100, reason: 'test' } })).status).toBe(200);
    expect((await gw.call('PUT', `/api/v1/credit/${me.party_id}`, { token: dealer, body: { credit_limit: 1e9, reason: 'me' } })).status).toBe(403);
    const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }]));
    expect(r.body.state).toBe('held');
    expect(r.body.hold_reasons).toEqual(['credit']);
    expect(r.body.hold_detail.credit).toMatchObject({ credit_limit: 100, order_total: r.body.total });
    expect((await f.balances(sku.gtin))[0]!.reserved).toBe(0);
    const listed = await gw.call('GET', '/api/v1/orders?held_for=credit', { token: hq });
    expect(listed.body.items.map((o: { id: string }) => o.id)).toContain(r.body.id);

    expect((await gw.call('POST', `/api/v1/orders/${r.body.id}/approve`, { token: dealer, body: {} })).status).toBe(403);
    const noReason = await gw.call('POST', `/api/v1/orders/${r.body.id}/approve`, { token: hq, body: {} });
    expect(noReason.status).toBe(409);
    expect(noReason.body.credit.order_total).toBe(r.body.total);
    const ok = await gw.call('POST', `/api/v1/orders/${r.body.id}/approve`, { token: hq, body: { override_reason: 'seasonal stock-up agreed with sales' } });
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe('allocated');
    const credit = (await gw.call('GET', `/api/v1/credit/${me.party_id}`, { token: dealer })).body;
    expect(credit.exposure).toBeGreaterThanOrEqual(r.body.total);
    const history = (await gw.call('GET', `/api/v1/orders/${r.body.id}`, { token: hq })).body.history;
    expect(history.find((h: { to_state: string }) => h.to_state === 'approved')).toMatchObject({ actor: 'hq-admin', reason: 'seasonal stock-up agreed with sales' });
    await gw.call('PUT', `/api/v1/credit/${me.party_id}`, { token: hq, body: { credit_limit: 1e9, reason: 'restore' } });
  });

  it('holds a delivery outside the authorised region for HQ (a region-control hold), and allocates when HQ approves', async () => {
    const sku = formula[6]!;
    await f.receive(sku.gtin, 'WH-C01', 'RG-1', f.inDays(500), sku.units_per_case * 10);
    const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }], { delivery: { region_code: other.region, address: '广州' } }));
    expect(r.body.state).toBe('held');
    expect(r.body.hold_reasons).toEqual(['region']);
    const holds = (await gw.call('GET', '/api/v1/holds?status=held', { token: hq })).body.items;
    expect(holds.some((h: { reference: string }) => h.reference === r.body.id)).toBe(true);
    expect((await gw.call('POST', `/api/v1/orders/${r.body.id}/approve`, { token: dealer, body: {} })).status).toBe(403);
    const ok = await gw.call('POST', `/api/v1/orders/${r.body.id}/approve`, { token: hq, body: { override_reason: 'temporary cover' } });
    expect(ok.body.state).toBe('allocated');
    expect((await gw.call('GET', `/api/v1/holds/status/order/${r.body.id}`, { token: hq })).body.may_proceed).toBe(true);
  });

  it('cancelling releases the reservations and the exposure; an invalid transition is refused', async () => {
    const sku = formula[7]!;
    await f.receive(sku.gtin, 'WH-C01', 'CX-1', f.inDays(500), sku.units_per_case * 4);
    const exposureBefore = (await gw.call('GET', `/api/v1/credit/${me.party_id}`, { token: hq })).body.open_orders;
    const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case * 4 }]));
    expect((await f.balances(sku.gtin))[0]!.reserved).toBe(sku.units_per_case * 4);
    const c = await gw.call('POST', `/api/v1/orders/${r.body.id}/cancel`, { token: dealer, body: { reason: 'ordered by mistake' } });
    expect(c.body.state).toBe('cancelled');
    expect((await f.balances(sku.gtin))[0]!.reserved).toBe(0);
    expect((await gw.call('GET', `/api/v1/credit/${me.party_id}`, { token: hq })).body.open_orders).toBeCloseTo(exposureBefore, 2);
    const again = await gw.call('POST', `/api/v1/orders/${r.body.id}/cancel`, { token: dealer, body: { reason: 'again' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ORDER_BAD_TRANSITION');
  });

  it('keeps drafts out of credit and stock until submitted', async () => {
    const sku = formula[8]!;
    await f.receive(sku.gtin, 'WH-C01', 'DR-1', f.inDays(500), sku.units_per_case * 4);
    const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }], { submit: false }));
    expect(r.body.state).toBe('draft');
    expect((await f.balances(sku.gtin))[0]!.reserved).toBe(0);
    expect((await gw.call('POST', `/api/v1/orders/${r.body.id}/submit`, { token: dealer2 })).status).toBe(404);
    const s = await gw.call('POST', `/api/v1/orders/${r.body.id}/submit`, { token: dealer });
    expect(s.body.state).toBe('allocated');
  });

  it('applies a buy-two-get-one promotion as data: free units ship and are allocated, but are not charged', async () => {
    const sku = formula[9]!;
    const upc = sku.units_per_case;
    await f.receive(sku.gtin, 'WH-C01', 'PR-1', f.inDays(500), upc * 20);
    const p = await gw.call('POST', '/api/v1/order-promotions', { token: hq, body: { code: `B2G1-${sku.gtin}`, name: 'buy two get one', gtin: sku.gtin, buy_quantity: 2 * upc, free_quantity: upc, price_levels: ['first_tier'], valid_from: f.inDays(-1) } });
    expect(p.status).toBe(201);
    await new Promise((r) => setTimeout(r, 50));
    const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: upc * 4 }]));
    expect(r.body.lines[0]).toMatchObject({ quantity: upc * 4, free_quantity: upc * 2, allocated: upc * 6, promotion_code: `B2G1-${sku.gtin}` });
    expect(r.body.total).toBeCloseTo(r.body.lines[0].unit_price * upc * 4, 2);
  });

  it('lets a store order from its dealer at the store level; each party sees only its own orders, HQ sees all, CSV follows the same rule', async () => {
    const sku = formula[10]!;
    const store1 = (await gw.call('GET', `/api/v1/stores/${storeParty}`, { token: hq })).body;
    await f.receive(sku.gtin, store1.parent_code ?? 'x', 'ST-1', f.inDays(500), 50).catch(() => undefined);
    const dealerParty = (await gw.call('GET', `/api/v1/dealers/${me.party_id}`, { token: hq })).body;
    await f.receive(sku.gtin, dealerParty.code, 'ST-1', f.inDays(500), 50);
    const r = await place(store, { ...orderBody([{ gtin: sku.gtin, quantity: 5 }]), delivery: { region_code: store1.region_code, address: '门店' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ price_level: 'store', seller_id: me.party_id, state: 'allocated' });

    const mine = (await gw.call('GET', '/api/v1/orders?limit=500', { token: dealer })).body.items as Array<{ id: string; buyer_id: string; seller_id: string | null }>;
    expect(mine.some((o) => o.id === r.body.id)).toBe(true);
    expect(mine.every((o) => o.buyer_id === me.party_id || o.seller_id === me.party_id)).toBe(true);
    const theirs = (await gw.call('GET', '/api/v1/orders?limit=500', { token: dealer2 })).body.items as Array<{ id: string }>;
    expect(theirs.some((o) => o.id === r.body.id)).toBe(false);
    expect((await gw.call('GET', `/api/v1/orders/${r.body.id}`, { token: dealer2 })).status).toBe(404);
    expect((await gw.call('GET', `/api/v1/orders/${r.body.id}`, { token: store })).status).toBe(200);
    expect((await gw.call('POST', `/api/v1/orders/${r.body.id}/cancel`, { token: dealer2, body: { reason: 'not mine' } })).status).toBe(404);

    const csv = await gw.call('GET', `/api/v1/orders/export.csv?gtin=${sku.gtin}`, { token: dealer2 });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(String(csv.body).trim().split('\r\n')).toHaveLength(1); // the header only
    const hqCsv = String((await gw.call('GET', `/api/v1/orders/export.csv?gtin=${sku.gtin}`, { token: hq })).body);
    expect(hqCsv).toContain(r.body.id);
    expect(hqCsv.split('\r\n')[0]).toMatch(/^order_number,order_id,state,buyer_code/);
  });

  it('lets a chain store’s system order with an API key holding orders:write, and refuses a key without it', async () => {
    const issue = async (scopes: string[]) => (await gw.call('POST', '/api/v1/api-keys', { token: hq, body: { name: `chain-${scopes.join('-')}`, role: 'store', party_id: storeParty, scopes } })).body.key as string;
    const readOnly = await issue(['orders:read']);
    const writer = await issue(['orders:read', 'orders:write']);
    const sku = formula[10]!;
    const store1 = (await gw.call('GET', `/api/v1/stores/${storeParty}`, { token: hq })).body;
    const body = { ...orderBody([{ gtin: sku.gtin, quantity: 5 }]), delivery: { region_code: store1.region_code, address: '门店' } };
    const refused = await gw.call('POST', '/api/v1/orders', { apiKey: readOnly, body });
    expect(refused.status).toBe(403);
    const placed = await gw.call('POST', '/api/v1/orders', { apiKey: writer, body });
    expect(placed.status).toBe(201);
    expect(placed.body.buyer_id).toBe(storeParty);
    expect((await gw.call('GET', `/api/v1/orders/${placed.body.id}`, { apiKey: readOnly })).status).toBe(200);
    expect((await gw.call('POST', `/api/v1/orders/${placed.body.id}/approve`, { apiKey: writer, body: {} })).status).toBe(403);
  });

  it('sends signed webhooks for the confirmation and each status change', async () => {
    const received: Array<{ event: string; body: string; signature: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ event: String(req.headers['x-cradle-event']), body, signature: String(req.headers['x-cradle-signature']) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const hook = await gw.call('POST', '/api/v1/order-webhooks', { token: dealer, body: { url, events: ['order.confirmed', 'order.status_changed'] } });
      expect(hook.status).toBe(201);
      await new Promise((r) => setTimeout(r, 5100)); // the subscription list is held for 5 s
      const sku = formula[11]!;
      await f.receive(sku.gtin, 'WH-C01', 'WH-1', f.inDays(500), sku.units_per_case * 2);
      const r = await place(dealer, orderBody([{ gtin: sku.gtin, quantity: sku.units_per_case }]));
      for (let i = 0; i < 100 && received.filter((x) => x.body.includes(r.body.id)).length < 5; i++) await new Promise((res) => setTimeout(res, 100));
      const mine = received.filter((x) => JSON.parse(x.body).order.id === r.body.id);
      // Placed (→ draft), submitted (the confirmation too), approved, allocated.
      expect(mine.map((x) => x.event).sort()).toEqual(['order.confirmed', 'order.status_changed', 'order.status_changed', 'order.status_changed', 'order.status_changed']);
      for (const x of mine) expect(x.signature).toBe(`sha256=${crypto.createHmac('sha256', hook.body.secret).update(x.body).digest('hex')}`);
      const allocated = mine.find((x) => JSON.parse(x.body).transition.to === 'allocated');
      expect(allocated).toBeDefined();
    } finally {
      server.close();
    }
  });

  it('never oversells: many parallel orders for the last units allocate exactly what is available', async () => {
    const sku = formula[12]!;
    const upc = sku.units_per_case;
    const available = upc * 7;
    await f.receive(sku.gtin, 'WH-C01', 'LAST-1', f.inDays(400), upc * 3);
    await f.receive(sku.gtin, 'WH-R01', 'LAST-2', f.inDays(450), upc * 4);
    const dealers = ((await gw.call('GET', '/api/v1/dealers?tier=1&status=active&limit=40', { token: hq })).body.items as Array<{ id: string; region_code: string }>).filter((d) => d.id !== me.party_id);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const d = dealers[i % dealers.length]!;
        return place(hq, { idempotency_key: f.key('race'), buyer_id: d.id, delivery: { region_code: d.region_code, address: 'x' }, lines: [{ gtin: sku.gtin, quantity: upc * 2 }] });
      }),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const allocated = results.reduce((s, r) => s + r.body.lines[0].allocated, 0);
    expect(allocated).toBe(available);
    const balances = await f.balances(sku.gtin);
    expect(balances.reduce((s, b) => s + b.reserved, 0)).toBe(available);
    expect(balances.every((b) => b.reserved <= b.on_hand)).toBe(true);
    expect(results.filter((r) => r.body.lines[0].back_ordered > 0).length).toBeGreaterThanOrEqual(40 - 4);
  }, 60_000);
});
