import { startTestGateway, type TestGateway } from '../testing/gateway';

describe('stock API', () => {
  let gw: TestGateway;
  let hq: string;
  let gtin: string;
  const movement = (over: Record<string, unknown> = {}) => ({
    idempotency_key: `api-${Math.random().toString(36).slice(2)}`,
    source: 'api-test',
    reason: 'receipt',
    sku: gtin,
    batch: 'API-B1',
    expiry_date: '2027-03-31',
    location: 'WH-C01',
    on_hand: 48,
    occurred_at: new Date().toISOString(),
    ...over,
  });

  beforeAll(async () => {
    gw = await startTestGateway('pglite');
    hq = await gw.login('hq-admin');
    gtin = (await gw.call('GET', '/api/v1/skus?category=formula&limit=1', { token: hq })).body.items[0].gtin;
  });
  afterAll(() => gw.stop());

  it('records a movement once however often it is posted, and shows it in the network view', async () => {
    const m = movement();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await gw.call('POST', '/api/v1/stock/movements', { token: hq, body: { movements: [m] } }));
    expect(results.map((r) => r.body.results[0].status)).toEqual(['applied', 'duplicate', 'duplicate']);
    const net = await gw.call('GET', `/api/v1/stock/network?sku=${gtin}`, { token: hq });
    expect(net.status).toBe(200);
    const wh = net.body.items[0].locations.find((l: { location: { code: string } }) => l.location.code === 'WH-C01');
    expect(wh.batches).toEqual([expect.objectContaining({ batch: 'API-B1', on_hand: 48 })]);
    expect(wh.age_seconds).toBeLessThan(120);
  });

  it('refuses a batch with a bad field, names it, and records nothing of the batch', async () => {
    const good = movement({ batch: 'API-GOOD' });
    const cases: Array<[Record<string, unknown>, string]> = [
      [movement({ sku: '06901234000017' }), 'body.movements.1.sku'],
      [movement({ location: 'NOPE-1' }), 'body.movements.1.location'],
      [movement({ on_hand: 1.5 }), 'body.movements.1.on_hand'],
      [movement({ occurred_at: 'yesterday' }), 'body.movements.1.occurred_at'],
      [movement({ reason: 'reconcile' }), 'body.movements.1.reason'],
      [movement({ on_hand: 0 }), 'body.movements.1.on_hand'],
      [movement({ colour: 'red' }), 'body.movements.1.colour'],
    ];
    for (const [bad, field] of cases) {
      const r = await gw.call('POST', '/api/v1/stock/movements', { token: hq, body: { movements: [good, bad] } });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const hist = await gw.call('GET', `/api/v1/stock/movements?sku=${gtin}&location=WH-C01`, { token: hq });
    expect(hist.body.items.map((m: { batch: string }) => m.batch)).not.toContain('API-GOOD');
  });

  it('answers 409 naming the key when a key is reused for another movement', async () => {
    const m = movement({ batch: 'API-C' });
    await gw.call('POST', '/api/v1/stock/movements', { token: hq, body: { movements: [m] } });
    const r = await gw.call('POST', '/api/v1/stock/movements', { token: hq, body: { movements: [{ ...m, on_hand: 1 }] } });
    expect(r.status).toBe(409);
    expect(r.body.errors[0].field).toBe('body.movements.0.idempotency_key');
  });

  it('lets dealers read only the stock of their own network and never write', async () => {
    const dealer = await gw.login('dealer-demo');
    const me = (await gw.call('GET', '/api/v1/me', { token: dealer })).body;
    const stores = (await gw.call('GET', '/api/v1/stores?limit=500', { token: dealer })).body.items as Array<{ code: string }>;
    const mine = stores[0]!.code;
    await gw.call('POST', '/api/v1/stock/movements', { token: hq, body: { movements: [movement({ batch: 'API-V', location: mine, on_hand: 6 })] } });
    const r = await gw.call('GET', `/api/v1/stock/network?sku=${gtin}`, { token: dealer });
    expect(r.status).toBe(200);
    const codes = r.body.items[0].locations.map((l: { location: { code: string } }) => l.location.code);
    expect(codes).toContain(mine);
    expect(codes).not.toContain('WH-C01');
    const w = await gw.call('POST', '/api/v1/stock/movements', { token: dealer, body: { movements: [movement()] } });
    expect(w.status).toBe(403);
    expect(me.role).toBe('dealer');
  });

  it('reconciles a posted snapshot and lists the differences', async () => {
    const asOf = new Date().toISOString();
    const r = await gw.call('POST', '/api/v1/stock/snapshots', {
      token: hq,
      body: { key: `snap-${asOf}`, source: 'api-test', as_of: asOf, locations: ['WH-R01'], rows: [{ sku: gtin, batch: 'S1', expiry_date: '2027-01-01', location: 'WH-R01', on_hand: 30 }] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'applied', differences: 1 });
    const d = await gw.call('GET', `/api/v1/stock/reconciliations/${r.body.reconciliation_id}/differences`, { token: hq });
    expect(d.body.items).toEqual([expect.objectContaining({ location: 'WH-R01', ledger: { on_hand: 0, reserved: 0, in_transit: 0 }, source: { on_hand: 30, reserved: 0, in_transit: 0 } })]);
    const bad = await gw.call('POST', '/api/v1/stock/snapshots', {
      token: hq,
      body: { key: 'snap-bad', source: 'api-test', as_of: asOf, locations: ['WH-R01'], rows: [{ sku: gtin, batch: 'S1', location: 'WH-R02', on_hand: 1 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.rows.0.location');
  });
});
