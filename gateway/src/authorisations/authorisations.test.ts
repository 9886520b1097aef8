import { DRIVERS } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';

describe.each(DRIVERS)('authorised regions on %s', (driver) => {
  let gw: TestGateway;
  let hq: string;
  let dealer: string;
  let dealerParty: string;
  let dealer2Party: string;
  let storeParty: string;
  let store2Party: string;
  /** A first-tier dealer with no demo login, for changes that must not disturb the others' tests. */
  let spare: { id: string; region_code: string };
  /** A city no first-tier dealer is bound to (nor its province). */
  let unbound: string;

  beforeAll(async () => {
    gw = await startTestGateway(driver);
    [hq, dealer] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo')]);
    const me = async (t: string) => (await gw.call('GET', '/api/v1/me', { token: t })).body.party_id as string;
    dealerParty = await me(dealer);
    dealer2Party = await me(await gw.login('dealer-demo-2'));
    storeParty = await me(await gw.login('store-demo'));
    store2Party = await me(await gw.login('store-demo-2'));
    spare = await gw.database.db
      .selectFrom('parties')
      .select(['id', 'region_code'])
      .where('tier', '=', 1)
      .where('region_code', 'like', '%00')
      .where('id', 'not in', [dealerParty, dealer2Party])
      .orderBy('code', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const bound = (await gw.database.db.selectFrom('parties').select('region_code').where('tier', '=', 1).execute()).map((p) => p.region_code);
    const city = await gw.database.db
      .selectFrom('regions')
      .select('code')
      .where('level', '=', 'city')
      .where('code', 'not in', bound)
      .where('province_code', 'not in', bound)
      .orderBy('code')
      .limit(1)
      .executeTakeFirstOrThrow();
    unbound = city.code;
  }, 120_000);
  afterAll(() => gw?.stop());

  const count = async () => Number((await gw.database.db.selectFrom('region_authorisations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('seeds each first-tier dealer with its bound region, and stores inherit it through their supplier', async () => {
    const own = await gw.call('GET', `/api/v1/authorised-regions/${dealerParty}`, { token: hq });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ inherited: false, region_codes: ['420100'] });
    // store-demo-2 is supplied through a second-tier distributor: two steps up to the first-tier dealer.
    const viaDistributor = await gw.call('GET', `/api/v1/authorised-regions/${store2Party}`, { token: dealer });
    expect(viaDistributor.body).toMatchObject({ inherited: true, from_party_id: dealerParty, region_codes: ['420100'] });
    const direct = await gw.call('GET', `/api/v1/authorised-regions/${storeParty}`, { token: hq });
    expect(direct.body).toMatchObject({ inherited: true, from_party_id: dealerParty });
  });

  it('refuses unknown region codes and overlaps between first-tier dealers, storing nothing', async () => {
    const before = await count();
    const unknown = await gw.call('POST', '/api/v1/authorisations', { token: hq, body: { dealer_id: spare.id, region_code: '990101', valid_from: '2025-01-01' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('body.region_code');
    // 江岸区 lies within 武汉, dealer-demo's city: another first-tier dealer may not take it...
    const overlap = await gw.call('POST', '/api/v1/authorisations', { token: hq, body: { dealer_id: spare.id, region_code: '420102', valid_from: '2025-01-01' } });
    expect(overlap.status).toBe(409);
    expect(overlap.body.overlaps).toEqual([expect.objectContaining({ dealer_id: dealerParty, region_code: '420100' })]);
    // ...nor the province above it.
    const above = await gw.call('POST', '/api/v1/authorisations', { token: hq, body: { dealer_id: spare.id, region_code: '420000', valid_from: '2025-01-01' } });
    expect(above.status).toBe(409);
    const badDates = await gw.call('POST', '/api/v1/authorisations', { token: hq, body: { dealer_id: spare.id, region_code: '420102', valid_from: '2025-02-01', valid_to: '2025-01-01' } });
    expect(badDates.status).toBe(400);
    expect(badDates.body.errors[0].field).toBe('body.valid_to');
    const badBody = await gw.call('POST', '/api/v1/authorisations', { token: hq, body: { dealer_id: spare.id, region_code: '4201', valid_from: 'yesterday' } });
    expect(badBody.status).toBe(400);
    expect(badBody.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.region_code', 'body.valid_from']);
    expect(await count()).toBe(before);
  });

  it('accepts an overlap that is explicitly shared, and names who it is shared with', async () => {
    const shared = await gw.call('POST', '/api/v1/authorisations', {
      token: hq,
      body: { dealer_id: spare.id, region_code: '420102', valid_from: '2025-03-01', valid_to: '2025-04-01', shared: true, note: 'spring promotion' },
    });
    expect(shared.status).toBe(201);
    expect(shared.body.shared_with).toEqual([expect.objectContaining({ dealer_id: dealerParty })]);
  });

  it('versions changes: a scan is judged by what was valid at the shipment, not by what is valid now', async () => {
    const granted = await gw.call('POST', '/api/v1/authorisations', { token: hq, body: { dealer_id: spare.id, region_code: unbound, valid_from: '2024-06-01T00:00:00+08:00' } });
    expect(granted.status).toBe(201);
    const ended = await gw.call('POST', `/api/v1/authorisations/${granted.body.id}/end`, { token: hq, body: { valid_to: '2025-06-01T00:00:00+08:00' } });
    expect(ended.status).toBe(200);
    expect(ended.body.version).toBeGreaterThan(granted.body.version);
    const during = await gw.call('GET', `/api/v1/authorised-regions/${spare.id}?at=2025-01-15T00:00:00%2B08:00`, { token: hq });
    expect(during.body.region_codes.sort()).toEqual([spare.region_code, unbound].sort());
    const after = await gw.call('GET', `/api/v1/authorised-regions/${spare.id}?at=2025-07-01`, { token: hq });
    expect(after.body.region_codes).toEqual([spare.region_code]);
    const history = await gw.call('GET', `/api/v1/authorisations?dealer=${spare.id}&limit=50`, { token: hq });
    expect(history.body.items.map((a: { region_code: string }) => a.region_code)).toEqual(expect.arrayContaining([spare.region_code, unbound, '420102']));
    const audit = await gw.database.db.selectFrom('audit_log').select('action').where('entity_id', '=', granted.body.id).execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['authorisation.end', 'authorisation.grant']);
  });

  it('lets a dealer read only its own network’s authorisations, and not change any', async () => {
    const mine = await gw.call('GET', '/api/v1/authorisations?limit=500', { token: dealer });
    expect(mine.status).toBe(200);
    expect(new Set(mine.body.items.map((a: { dealer_id: string }) => a.dealer_id))).toEqual(new Set([dealerParty]));
    expect((await gw.call('GET', `/api/v1/authorised-regions/${dealer2Party}`, { token: dealer })).status).toBe(404);
    const write = await gw.call('POST', '/api/v1/authorisations', { token: dealer, body: { dealer_id: dealerParty, region_code: '420000', valid_from: '2025-01-01' } });
    expect(write.status).toBe(403);
  });
});
