import { importRegions } from '../regions/catalogue';
import type { Db } from '../platform/db';

/** GTIN-14s with valid check digits, for tests. */
export const TEST_GTINS = { formula: '06901234000016', wipes: '06901234000023', cot: '06901234000030' } as const;

export interface StockFixture {
  skus: { formula: string; wipes: string; cot: string };
  /** Party ids: a central warehouse (武汉), a regional one (广州), a dealer (武汉) and its store (武汉). */
  parties: { central: string; south: string; dealer: string; store: string };
}

/** A tiny network of its own for stock tests: three SKUs and four stock-holding parties, with real region codes. */
export async function seedStockFixture(db: Db): Promise<StockFixture> {
  await importRegions(db);
  const sku = (gtin: string, category: 'formula' | 'wipes' | 'cots', warn: number) =>
    db
      .insertInto('skus')
      .values({ gtin, name: `test ${category}`, category, units_per_case: 6, shelf_life_days: 720, expiry_warning_days: warn })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((r) => r.id);
  const party = (code: string, kind: 'warehouse' | 'dealer' | 'store', region: string, extra: { tier?: 1; parent_id?: string; warehouse_kind?: 'central' | 'regional' } = {}) =>
    db
      .insertInto('parties')
      .values({ code, kind, name: code, region_code: region, tier: extra.tier ?? null, parent_id: extra.parent_id ?? null, warehouse_kind: extra.warehouse_kind ?? null })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((r) => r.id);
  const skus = { formula: await sku(TEST_GTINS.formula, 'formula', 180), wipes: await sku(TEST_GTINS.wipes, 'wipes', 90), cot: await sku(TEST_GTINS.cot, 'cots', 0) };
  const central = await party('WH-C01', 'warehouse', '420112', { warehouse_kind: 'central' });
  const south = await party('WH-R03', 'warehouse', '440111', { warehouse_kind: 'regional' });
  const dealer = await party('D-420100', 'dealer', '420100', { tier: 1 });
  const store = await party('S-0001', 'store', '420106', { parent_id: dealer });
  return { skus, parties: { central, south, dealer, store } };
}
