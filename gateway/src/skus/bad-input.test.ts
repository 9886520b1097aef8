import { DRIVERS } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';

const goodSku = {
  gtin: '06901234567892',
  name: '启赋 蓝钻 3段 800g',
  category: 'formula',
  units_per_case: 6,
  shelf_life_days: 720,
};

describe.each(DRIVERS)('bad input gets a problem+json naming the field, and changes nothing (%s)', (driver) => {
  let gw: TestGateway;
  let hq: string;
  const counts = async () => {
    const db = gw.database.db;
    const [s, p, a] = await Promise.all([
      db.selectFrom('skus').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      db.selectFrom('parties').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return [Number(s.n), Number(p.n), Number(a.n)];
  };
  let before: number[];

  beforeAll(async () => {
    gw = await startTestGateway(driver, { BODY_LIMIT: '16kb' });
    hq = await gw.login('hq-admin');
  }, 120_000);
  beforeEach(async () => {
    before = await counts();
  });
  afterEach(async () => {
    expect(await counts()).toEqual(before);
  });
  afterAll(() => gw?.stop());

  const post = (path: string, body: unknown) => gw.call('POST', path, { token: hq, body });
  const expectProblem = (r: { status: number; headers: Headers; body: any }, status: number, type: string, field?: string) => {
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ type: `/problems/${type}`, status });
    expect(r.body.requestId).toEqual(r.headers.get('x-request-id'));
    if (field) expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  };

  it('malformed JSON', async () => {
    expectProblem(await gw.call('POST', '/api/v1/skus', { token: hq, raw: '{"gtin": "0690123456789' }), 400, 'malformed-json');
  });

  it('a body that is not JSON at all', async () => {
    expectProblem(await gw.call('POST', '/api/v1/skus', { token: hq, raw: 'gtin=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type');
  });

  it('wrong types', async () => {
    expectProblem(await post('/api/v1/skus', { ...goodSku, units_per_case: '6' }), 400, 'validation-failed', 'body.units_per_case');
    expectProblem(await post('/api/v1/skus', { ...goodSku, shelf_life_days: -1 }), 400, 'validation-failed', 'body.shelf_life_days');
  });

  it('unknown fields', async () => {
    expectProblem(await post('/api/v1/skus', { ...goodSku, price: 1 }), 400, 'validation-failed', 'body.price');
    expectProblem(await gw.call('GET', '/api/v1/skus?colour=red', { token: hq }), 400, 'validation-failed', 'query.colour');
  });

  it('oversized bodies', async () => {
    expectProblem(await post('/api/v1/skus', { ...goodSku, name: 'x'.repeat(20_000) }), 413, 'payload-too-large');
  });

  it('invalid GTIN check digits', async () => {
    const r = await post('/api/v1/skus', { ...goodSku, gtin: '06901234567893' });
    expectProblem(r, 400, 'validation-failed', 'body.gtin');
    expect(r.body.detail).toMatch(/check digit/);
  });

  it('unknown region codes', async () => {
    const r = await post('/api/v1/warehouses', { code: 'WH-X', name: 'X', region_code: '999999', lat: 30, lng: 114, warehouse_kind: 'regional' });
    expectProblem(r, 400, 'validation-failed', 'body.region_code');
    expectProblem(await gw.call('GET', '/api/v1/regions?parent=11', { token: hq }), 400, 'validation-failed', 'query.parent');
  });

  it('SQL metacharacters in constrained fields are refused', async () => {
    const inj = "x'; drop table skus; --";
    expectProblem(await post('/api/v1/skus', { ...goodSku, gtin: inj }), 400, 'validation-failed', 'body.gtin');
    expectProblem(await post('/api/v1/warehouses', { code: inj, name: 'X', region_code: '110101', lat: 30, lng: 114, warehouse_kind: 'regional' }), 400, 'validation-failed', 'body.code');
    expectProblem(await gw.call('GET', `/api/v1/regions?level=${encodeURIComponent("province' or '1'='1")}`, { token: hq }), 400, 'validation-failed', 'query.level');
    expectProblem(await gw.call('GET', `/api/v1/dealers/${encodeURIComponent("1' or '1'='1")}`, { token: hq }), 400, 'validation-failed', 'params.id');
    expectProblem(await post('/api/v1/skus', { ...goodSku, name: 'bad\u0000name' }), 400, 'validation-failed', 'body.name');
  });

  it('SQL metacharacters in free text are data, searched literally', async () => {
    const r = await gw.call('GET', `/api/v1/skus?q=${encodeURIComponent("%' or 1=1 --")}`, { token: hq });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(0);
  });

  it('a duplicate GTIN is a conflict', async () => {
    const existing = (await gw.call('GET', '/api/v1/skus?limit=1', { token: hq })).body.items[0];
    expectProblem(await post('/api/v1/skus', { ...goodSku, gtin: existing.gtin }), 409, 'conflict', 'body.gtin');
  });

  it('a second first-tier dealer for a bound region is a conflict', async () => {
    const bound = (await gw.call('GET', '/api/v1/dealers?tier=1&limit=1', { token: hq })).body.items[0];
    expectProblem(await post('/api/v1/dealers', { code: 'D1-NEW', name: '新经销商', tier: 1, region_code: bound.region_code }), 409, 'conflict', 'body.region_code');
  });
});

describe('good input is stored verbatim (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('pglite');
  }, 120_000);
  afterAll(() => gw?.stop());

  it('creates a SKU with quotes in its name, audited, and lists it at once', async () => {
    const hq = await gw.login('hq-admin');
    const listed = async () => (await gw.call('GET', '/api/v1/skus?category=formula&limit=500', { token: hq })).body;
    const before = await listed();
    const name = "Mom's \"best\" 奶粉; select 1 --";
    const r = await gw.call('POST', '/api/v1/skus', { token: hq, body: { ...goodSku, name } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ gtin: goodSku.gtin, name, expiry_warning_days: 180 });
    const got = await gw.call('GET', `/api/v1/skus?gtin=${goodSku.gtin}`, { token: hq });
    expect(got.body.items).toHaveLength(1);
    expect(got.body.items[0].name).toBe(name);
    // The list answered just before the write must not be served from the read cache after it.
    const after = await listed();
    expect(after.total).toBe(before.total + 1);
    expect(after.items.map((i: { gtin: string }) => i.gtin)).toContain(goodSku.gtin);
    const audit = await gw.database.db.selectFrom('audit_log').selectAll().where('entity_id', '=', r.body.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['sku.create']);
  });
});
