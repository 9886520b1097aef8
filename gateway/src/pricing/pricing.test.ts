import { startTestGateway, type TestGateway } from '../testing/gateway';
import { DEMO_PRICE_RULES } from '../region-control/seed';

describe('regional price tables', () => {
  let gw: TestGateway;
  let hq: string;
  let store: string;
  let gtin: string;
  beforeAll(async () => {
    gw = await startTestGateway('pglite');
    [hq, store] = await Promise.all([gw.login('hq-admin'), gw.login('store-demo')]);
    gtin = (await gw.database.db.selectFrom('skus').select('gtin').where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow()).gtin;
  }, 120_000);
  afterAll(() => gw?.stop());

  const row = async (region: string, date = '2025-03-01') => {
    const r = await gw.call('GET', `/api/v1/price-tables/${region}?date=${date}&category=formula&limit=500`, { token: store });
    expect(r.status).toBe(200);
    return r.body.items.find((i: { gtin: string }) => i.gtin === gtin);
  };

  it('generates prices from the base price, the region tier and the channel level', async () => {
    const beijing = await row('110101'); // 东城区: a district of a tier-1 city
    const county = await row('420115'); // 江夏区 is a district: priced as a city
    const ruralCounty = await row('420222'); // 阳新县: a county
    const base = beijing.base_price as number;
    expect(beijing.region_tier).toBe('tier1_city');
    expect(beijing.prices.retail).toBeCloseTo(base * 1.15, 2);
    expect(beijing.prices.first_tier).toBeCloseTo(base * 1.15 * 0.7, 1);
    expect(county.region_tier).toBe('city');
    expect(ruralCounty.region_tier).toBe('county');
    expect(ruralCounty.prices.retail).toBeCloseTo(base * 1.22, 2);
    expect(beijing.margins.first_tier).toBeCloseTo(0.125, 3);
  });

  it('reports nothing for the demo rules, and reports the ±5% margin band and the 8% regional difference when rules break them', async () => {
    const clean = await gw.call('GET', '/api/v1/price-checks?date=2025-03-01', { token: hq });
    expect(clean.body.margin_breaches.total).toBe(0);
    expect(clean.body.regional_differences.total).toBe(0);
    const wide = { ...DEMO_PRICE_RULES, region_markups: { tier1_city: 0.15, city: 0.18, county: 0.25 }, channel_discounts: { first_tier: 0.4, second_tier: 0.2, store: 0.12 } };
    expect((await gw.call('POST', '/api/v1/price-rules', { token: hq, body: { effective_from: '2025-05-01', rules: wide } })).status).toBe(201);
    const broken = await gw.call('GET', '/api/v1/price-checks?date=2025-05-02&limit=5', { token: hq });
    const skus = (await gw.database.db.selectFrom('skus').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n;
    // 1.25 / 1.15 − 1 = 8.7% at every level of every SKU; first-tier margin 25% against 12% in every tier.
    expect(broken.body.regional_differences.total).toBe(Number(skus) * 4);
    expect(broken.body.margin_breaches.total).toBe(Number(skus) * 3);
    expect(broken.body.margin_breaches.items[0]).toMatchObject({ level: 'first_tier', target: 0.12 });
    // The older table is unchanged: rules have effective dates.
    expect((await row('110101', '2025-03-01')).prices.retail).toBeCloseTo((await row('110101', '2025-03-01')).base_price * 1.15, 2);
  });

  it('overrides one region with an audit trail, and reports the difference the override creates', async () => {
    const before = await row('420102');
    const o = await gw.call('POST', '/api/v1/price-overrides', { token: hq, body: { region_code: '420100', gtin, level: 'retail', effective_from: '2025-03-15', price: Math.round(before.prices.retail * 0.85), reason: 'clearance in 武汉' } });
    expect(o.status).toBe(201);
    const after = await row('420102', '2025-03-20');
    expect(after.prices.retail).toBe(Math.round(before.prices.retail * 0.85));
    expect(after.overridden).toEqual(['retail']);
    expect((await row('420102', '2025-03-01')).overridden).toEqual([]);
    const checks = await gw.call('GET', '/api/v1/price-checks?date=2025-03-20', { token: hq });
    expect(checks.body.regional_differences.items).toEqual(expect.arrayContaining([expect.objectContaining({ gtin, level: 'retail', lowest: expect.objectContaining({ where: 'region:420100' }) })]));
    const lifted = await gw.call('POST', '/api/v1/price-overrides', { token: hq, body: { region_code: '420100', gtin, level: 'retail', effective_from: '2025-03-25', price: null, reason: 'clearance over' } });
    expect(lifted.status).toBe(201);
    expect((await row('420102', '2025-03-26')).overridden).toEqual([]);
    const trail = await gw.call('GET', `/api/v1/price-overrides?gtin=${gtin}`, { token: hq });
    expect(trail.body.items.map((i: { price: number | null }) => i.price === null)).toEqual([true, false]);
  });

  it('refuses rules and prices that would be negative or absurd, naming the field, and stores nothing', async () => {
    const count = async () => Number((await gw.database.db.selectFrom('price_rule_sets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const negative = await gw.call('POST', '/api/v1/price-rules', { token: hq, body: { effective_from: '2025-07-01', rules: { ...DEMO_PRICE_RULES, region_markups: { ...DEMO_PRICE_RULES.region_markups, county: -1.2 } } } });
    expect(negative.status).toBe(400);
    expect(negative.body.errors[0].field).toBe('body.rules.region_markups.county');
    const inverted = await gw.call('POST', '/api/v1/price-rules', { token: hq, body: { effective_from: '2025-07-01', rules: { ...DEMO_PRICE_RULES, channel_discounts: { first_tier: 0.1, second_tier: 0.2, store: 0.3 } } } });
    expect(inverted.status).toBe(400);
    expect(inverted.body.errors[0].field).toBe('body.rules.channel_discounts');
    expect(await count()).toBe(before);
    const absurd = await gw.call('POST', '/api/v1/price-overrides', { token: hq, body: { region_code: '420100', gtin, level: 'retail', effective_from: '2025-03-15', price: 99999, reason: 'typo' } });
    expect(absurd.status).toBe(400);
    expect(absurd.body.errors[0].field).toBe('body.price');
    const zero = await gw.call('PUT', '/api/v1/base-prices', { token: hq, body: { effective_from: '2025-07-01', prices: [{ gtin, price: 0 }] } });
    expect(zero.status).toBe(400);
    expect(zero.body.errors[0].field).toBe('body.prices.0.price');
    const unknownRegion = await gw.call('POST', '/api/v1/price-overrides', { token: hq, body: { region_code: '990000', gtin, level: 'retail', effective_from: '2025-03-15', price: 100, reason: 'x' } });
    expect(unknownRegion.status).toBe(400);
    expect((await gw.call('POST', '/api/v1/price-rules', { token: store, body: { effective_from: '2025-07-01', rules: DEMO_PRICE_RULES } })).status).toBe(403);
  });
});
