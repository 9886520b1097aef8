import { DEMO_PRICE_RULES } from '../region-control/seed';
import { importRegions } from '../regions/catalogue';
import { createRegionService } from '../regions/service';
import { openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import { generatedPrice } from './rules';
import { createPricingService, type PricingService } from './service';

describe('pricesFor (ordering prices one region and day)', () => {
  let t: TestDatabase;
  let pricing: PricingService;
  let skuA: string;
  let skuB: string;

  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    await importRegions(t.db);
    const regions = await createRegionService(t.db);
    pricing = createPricingService({ db: t.db, regions });
    const sku = (gtin: string) => t.db.insertInto('skus').values({ gtin, name: gtin, category: 'formula', units_per_case: 6, shelf_life_days: 720, expiry_warning_days: 180 }).returning('id').executeTakeFirstOrThrow().then((r) => r.id);
    skuA = await sku('06901234000016');
    skuB = await sku('06901234000023');
    await pricing.setRules('2026-01-01', DEMO_PRICE_RULES, undefined, 'test');
    await pricing.setBasePrices('2026-01-01', [{ gtin: '06901234000016', price: 300 }, { gtin: '06901234000023', price: 100 }], 'test');
    await pricing.setBasePrices('2026-06-01', [{ gtin: '06901234000016', price: 400 }], 'test');
    await pricing.override({ regionCode: '420100', gtin: '06901234000023', level: 'store', effectiveFrom: '2026-03-01', price: 80, reason: 'test' }, 'test');
  });
  afterAll(() => t.dispose());

  it('generates each level from the base price in force, and a parent region’s override wins for its level', async () => {
    const { prices, rulesEffectiveFrom } = await pricing.pricesFor('420106', '2026-05-01', [skuA, skuB]);
    expect(rulesEffectiveFrom).toBe('2026-01-01');
    expect(prices.get(skuA)!.first_tier).toBe(generatedPrice(DEMO_PRICE_RULES, 300, 'city', 'first_tier'));
    expect(prices.get(skuB)!.store).toBe(80);
    expect(prices.get(skuB)!.first_tier).toBe(generatedPrice(DEMO_PRICE_RULES, 100, 'city', 'first_tier'));
    const later = await pricing.pricesFor('420106', '2026-06-02');
    expect(later.prices.get(skuA)!.first_tier).toBe(generatedPrice(DEMO_PRICE_RULES, 400, 'city', 'first_tier'));
    const before = await pricing.pricesFor('420106', '2026-02-01', [skuB]);
    expect(before.prices.get(skuB)!.store).toBe(generatedPrice(DEMO_PRICE_RULES, 100, 'city', 'store'));
  });

  it('gives the same prices from a day’s price book as pricesFor, for any region', async () => {
    for (const [region, date] of [['420106', '2026-05-01'], ['110101', '2026-06-02'], ['420106', '2026-02-01']] as const) {
      const book = await pricing.priceBook(date);
      const direct = await pricing.pricesFor(region, date);
      expect(book.rulesEffectiveFrom).toBe(direct.rulesEffectiveFrom);
      for (const sku of [skuA, skuB]) expect(book.price(region, sku)).toEqual(direct.prices.get(sku));
    }
    expect((await pricing.priceBook('2026-05-01')).price('999999', skuA)).toBeUndefined();
  });
});
