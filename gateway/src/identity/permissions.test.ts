import { DRIVERS } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';

describe.each(DRIVERS)('identity and permissions on %s', (driver) => {
  let gw: TestGateway;
  let hq: string;
  let dealer: string;
  let store: string;
  let dealerParty: string;
  let dealer2Party: string;
  let storeParty: string;
  let store2Party: string;

  beforeAll(async () => {
    gw = await startTestGateway(driver, { LOGIN_RATE_LIMIT: '3' });
    [hq, dealer, store] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo'), gw.login('store-demo')]);
    const me = async (t: string) => (await gw.call('GET', '/api/v1/me', { token: t })).body.party_id as string;
    dealerParty = await me(dealer);
    storeParty = await me(store);
    dealer2Party = await me(await gw.login('dealer-demo-2'));
    store2Party = await me(await gw.login('store-demo-2'));
  }, 120_000);
  afterAll(() => gw?.stop());

  it('signs in with a password and refuses a wrong one without saying which part was wrong', async () => {
    const me = await gw.call('GET', '/api/v1/me', { token: hq });
    expect(me.body).toMatchObject({ role: 'hq', party_id: null });
    const wrong = await gw.call('POST', '/api/v1/auth/token', { body: { username: 'hq-admin', password: 'nope-nope' } });
    const unknown = await gw.call('POST', '/api/v1/auth/token', { body: { username: 'nobody-here', password: 'nope-nope' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.type).toBe(unknown.body.type);
    expect(wrong.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('stores passwords as argon2id hashes, never in clear', async () => {
    const u = await gw.database.db.selectFrom('users').select('password_hash').where('username', '=', 'hq-admin').executeTakeFirstOrThrow();
    expect(u.password_hash).toMatch(/^\$argon2id\$/);
    expect(u.password_hash).not.toContain('test-password-0');
  });

  it('rate-limits failed sign-ins per user and address', async () => {
    const attempt = () => gw.call('POST', '/api/v1/auth/token', { body: { username: 'store-demo-2', password: 'wrong-wrong' } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });

  it('refuses requests without a valid token', async () => {
    expect((await gw.call('GET', '/api/v1/skus')).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/skus', { token: `${hq}x` })).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/skus', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });

  it('shows a dealer only itself and its downstream, never another dealer', async () => {
    const own = await gw.call('GET', `/api/v1/dealers/${dealerParty}`, { token: dealer });
    expect(own.status).toBe(200);
    const other = await gw.call('GET', `/api/v1/dealers/${dealer2Party}`, { token: dealer });
    expect(other.status).toBe(404);
    const list = await gw.call('GET', '/api/v1/dealers?limit=500', { token: dealer });
    expect(list.status).toBe(200);
    const ids = new Set<string>(list.body.items.map((d: { id: string }) => d.id));
    expect(ids.has(dealerParty)).toBe(true);
    expect(ids.has(dealer2Party)).toBe(false);
    for (const d of list.body.items) expect(d.id === dealerParty || d.parent_id === dealerParty).toBe(true);
    const all = await gw.call('GET', '/api/v1/dealers?limit=1', { token: hq });
    expect(all.body.total).toBe(920);
    expect(list.body.total).toBeLessThan(all.body.total);
  });

  it('lets a dealer change nothing in master data', async () => {
    const r = await gw.call('PATCH', `/api/v1/dealers/${dealerParty}`, { token: dealer, body: { name: 'mine now' } });
    expect(r.status).toBe(403);
    const row = await gw.database.db.selectFrom('parties').select('name').where('id', '=', dealerParty).executeTakeFirstOrThrow();
    expect(row.name).not.toBe('mine now');
  });

  it("shows members only to HQ and the member's own store", async () => {
    const own = await gw.call('GET', `/api/v1/stores/${storeParty}/members`, { token: store });
    expect(own.status).toBe(200);
    expect(own.body.items.length).toBeGreaterThan(0);
    for (const m of own.body.items) expect(m.store_id).toBe(storeParty);
    expect((await gw.call('GET', `/api/v1/stores/${store2Party}/members`, { token: store })).status).toBe(404);
    expect((await gw.call('GET', `/api/v1/stores/${storeParty}/members`, { token: dealer })).status).toBe(403);
    expect((await gw.call('GET', `/api/v1/stores/${store2Party}/members`, { token: hq })).status).toBe(200);
    const other = await gw.call('POST', `/api/v1/stores/${store2Party}/members`, { token: store, body: { name: '王芳', phone: '13800001111' } });
    expect(other.status).toBe(404);
  });

  it('limits an API key to its scopes and stops it when revoked', async () => {
    const created = await gw.call('POST', '/api/v1/api-keys', { token: hq, body: { name: 'chain POS', role: 'store', party_id: storeParty, scopes: ['masterdata:read'] } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await gw.call('GET', '/api/v1/skus?limit=1', { apiKey: key })).status).toBe(200);
    expect((await gw.call('GET', `/api/v1/stores/${storeParty}/members`, { apiKey: key })).status).toBe(403);
    expect((await gw.call('POST', '/api/v1/skus', { apiKey: key, body: {} })).status).toBe(403);
    const beyond = await gw.call('POST', '/api/v1/api-keys', { token: hq, body: { name: 'x', role: 'store', party_id: storeParty, scopes: ['masterdata:write'] } });
    expect(beyond.status).toBe(400);
    expect(beyond.body.errors[0].field).toBe('body.scopes');
    expect((await gw.call('DELETE', `/api/v1/api-keys/${created.body.id}`, { token: hq })).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/skus?limit=1', { apiKey: key })).status).toBe(401);
    expect((await gw.call('POST', '/api/v1/api-keys', { token: dealer, body: { name: 'x', role: 'dealer', party_id: dealerParty, scopes: ['masterdata:read'] } })).status).toBe(403);
  });
});
