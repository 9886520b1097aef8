import { startTestGateway, type TestGateway } from '../../testing/gateway';

describe('HTTP core', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('pglite');
  }, 120_000);
  afterAll(() => gw?.stop());

  it('answers liveness and readiness with the database and the broker checked', async () => {
    expect((await gw.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await gw.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toMatchObject({ status: 'up', driver: 'pglite' });
    expect(ready.body.checks.broker).toMatchObject({ status: 'up', embedded: true });
  });

  it('reports not ready when the broker connection is gone', async () => {
    await gw.broker!.close();
    // The gateway's MQTT client notices the closed socket; readiness follows.
    let ready = await gw.call('GET', '/readyz');
    for (let i = 0; i < 50 && ready.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await gw.call('GET', '/readyz');
    }
    expect(ready.status).toBe(503);
    expect(ready.body.checks.broker.status).toBe('down');
  });

  it('echoes a request id or makes one', async () => {
    const given = await gw.call('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await gw.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics including request durations by route', async () => {
    await gw.call('GET', '/api/v1/skus');
    const m = await gw.call('GET', '/metrics');
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    expect(m.body).toMatch(/cradle_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/skus",status="401"\} \d+/);
    expect(m.body).toMatch(/cradle_process_resident_memory_bytes/);
  });

  it('serves an OpenAPI 3.1 document generated from the validating schemas, and the docs page', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const listSkus = doc.paths['/api/v1/skus'].get;
    expect(listSkus.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['category', 'limit', 'offset']));
    expect(listSkus['x-cradle-access']).toEqual({ roles: ['hq', 'dealer', 'store'], scope: 'masterdata:read' });
    const createSku = doc.paths['/api/v1/skus'].post.requestBody.content['application/json'].schema;
    expect(createSku.required).toEqual(expect.arrayContaining(['gtin', 'name', 'category']));
    expect(createSku.additionalProperties).toBe(false);
    expect(doc.paths['/api/v1/dealers/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path' });
    expect(doc.paths['/api/v1/auth/token'].post.security).toEqual([]);
    const docs = await gw.call('GET', '/docs');
    expect(docs.body).toContain('/openapi.json');
    expect((await gw.call('GET', '/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('answers unknown routes with a problem and documents problem types', async () => {
    const r = await gw.call('GET', '/api/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ type: '/problems/not-found', status: 404 });
    expect((await gw.call('GET', '/problems/validation-failed')).body).toMatchObject({ status: 400 });
  });

  it('pages lists and carries the total count', async () => {
    const hq = await gw.login('hq-admin');
    const a = await gw.call('GET', '/api/v1/skus?limit=10&offset=0', { token: hq });
    const b = await gw.call('GET', '/api/v1/skus?limit=10&offset=10', { token: hq });
    expect(a.body.items).toHaveLength(10);
    expect(a.body.total).toBeGreaterThanOrEqual(500);
    expect(b.body.total).toBe(a.body.total);
    expect(b.body.items[0].gtin > a.body.items[9].gtin).toBe(true);
    const beyond = await gw.call('GET', `/api/v1/skus?limit=10&offset=${a.body.total}`, { token: hq });
    expect(beyond.body).toMatchObject({ items: [], total: a.body.total });
    const counties = await gw.call('GET', '/api/v1/regions?level=county&parent=440100', { token: hq });
    expect(counties.body.items.every((r: { parent_code: string; level: string }) => r.parent_code === '440100' && r.level === 'county')).toBe(true);
    expect(counties.body.total).toBeGreaterThan(5);
    const provinces = await gw.call('GET', '/api/v1/regions?level=province&limit=100', { token: hq });
    expect(provinces.body.total).toBe(31);
  });
});
