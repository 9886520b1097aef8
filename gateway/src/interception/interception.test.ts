import { DRIVERS } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { createAuthorisationService } from '../authorisations/service';
import { createRegionService } from '../regions/service';
import { createInterceptionService } from './service';

describe.each(DRIVERS)('cross-region order interception on %s', (driver) => {
  let gw: TestGateway;
  let hq: string;
  let dealer: string;
  let dealerParty: string;
  beforeAll(async () => {
    gw = await startTestGateway(driver);
    [hq, dealer] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo')]);
    dealerParty = (await gw.call('GET', '/api/v1/me', { token: dealer })).body.party_id;
  }, 120_000);
  afterAll(() => gw?.stop());

  it('answers checkDeliveryAddress from the authorisation valid at the given time', async () => {
    const regions = await createRegionService(gw.database.db);
    const service = createInterceptionService({ db: gw.database.db, regions, authorisations: createAuthorisationService({ db: gw.database.db, regions }) });
    expect(await service.checkDeliveryAddress(dealerParty, '420106', new Date('2025-03-01'))).toMatchObject({ inside: true, authorised: ['420100'] });
    const outside = await service.checkDeliveryAddress(dealerParty, '430102', new Date('2025-03-01'));
    expect(outside.inside).toBe(false);
    expect(outside.reason).toMatch(/430102 .*outside the authorised region 420100/);
    expect((await service.checkDeliveryAddress(dealerParty, '420106', new Date('2020-01-01'))).inside).toBe(false);
  });

  it('lets an order inside the region through and holds one outside it for HQ, once per reference', async () => {
    const inside = await gw.call('POST', '/api/v1/holds/check', { token: hq, body: { kind: 'order', reference: 'SO-1', dealer_id: dealerParty, delivery_region_code: '420106' } });
    expect(inside.status).toBe(200);
    expect(inside.body).toMatchObject({ held: false, hold: null });
    const outside = await gw.call('POST', '/api/v1/holds/check', { token: hq, body: { kind: 'transfer', reference: 'TR-9', dealer_id: dealerParty, delivery_region_code: '430102' } });
    expect(outside.status).toBe(202);
    expect(outside.body.hold).toMatchObject({ status: 'held', kind: 'transfer', reference: 'TR-9' });
    const again = await gw.call('POST', '/api/v1/holds/check', { token: hq, body: { kind: 'transfer', reference: 'TR-9', dealer_id: dealerParty, delivery_region_code: '430102' } });
    expect(again.body.hold.id).toBe(outside.body.hold.id);
    expect((await gw.call('GET', '/api/v1/holds/status/transfer/TR-9', { token: hq })).body.may_proceed).toBe(false);
    const mine = await gw.call('GET', '/api/v1/holds', { token: dealer });
    expect(mine.body.items.map((h: { reference: string }) => h.reference)).toEqual(['TR-9']);
    expect((await gw.call('GET', '/api/v1/holds', { token: await gw.login('dealer-demo-2') })).body.items).toEqual([]);
    expect((await gw.call('POST', `/api/v1/holds/${outside.body.hold.id}/decision`, { token: dealer, body: { decision: 'approved' } })).status).toBe(403);
    const approved = await gw.call('POST', `/api/v1/holds/${outside.body.hold.id}/decision`, { token: hq, body: { decision: 'approved', note: 'stock rebalancing' } });
    expect(approved.body).toMatchObject({ status: 'approved', decided_by: 'hq-admin' });
    expect((await gw.call('GET', '/api/v1/holds/status/transfer/TR-9', { token: hq })).body.may_proceed).toBe(true);
    expect((await gw.call('POST', `/api/v1/holds/${outside.body.hold.id}/decision`, { token: hq, body: { decision: 'rejected' } })).status).toBe(409);
  });

  it('refuses unknown region codes with a 400 naming the field, holding nothing', async () => {
    const r = await gw.call('POST', '/api/v1/holds/check', { token: hq, body: { kind: 'order', reference: 'SO-X', dealer_id: dealerParty, delivery_region_code: '999999' } });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('body.delivery_region_code');
    expect((await gw.call('GET', '/api/v1/holds/status/order/SO-X', { token: hq })).body.hold).toBeNull();
  });
});
