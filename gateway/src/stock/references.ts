import type { Db } from '../platform/db';
import type { PartyKind, SkuCategory } from '../platform/db/schema';

export interface SkuRef {
  id: string;
  gtin: string;
  name: string;
  category: SkuCategory;
  expiryWarningDays: number;
}
export interface LocationRef {
  id: string;
  code: string;
  kind: PartyKind;
}

/** Kinds of party that hold stock: warehouses, dealers' warehouses, stores. */
export const STOCK_HOLDING_KINDS: readonly PartyKind[] = ['warehouse', 'dealer', 'store'];

/**
 * Resolves the identifiers that outside systems use (GTINs, party codes) to ledger ids. Master data changes
 * rarely; a miss reloads once, so a new SKU or store is found without a restart.
 */
export function createStockReferences(db: Db) {
  let skus: Map<string, SkuRef> | null = null;
  let skusById: Map<string, SkuRef> | null = null;
  let locations: Map<string, LocationRef> | null = null;
  let loadedAt = 0;
  const load = async () => {
    const [s, p] = await Promise.all([
      db.selectFrom('skus').select(['id', 'gtin', 'name', 'category', 'expiry_warning_days']).execute(),
      db.selectFrom('parties').select(['id', 'code', 'kind']).where('kind', 'in', [...STOCK_HOLDING_KINDS]).execute(),
    ]);
    skus = new Map(s.map((r) => [r.gtin.trim(), { id: r.id, gtin: r.gtin.trim(), name: r.name, category: r.category, expiryWarningDays: r.expiry_warning_days }]));
    skusById = new Map([...skus.values()].map((r) => [r.id, r]));
    locations = new Map(p.map((r) => [r.code, { id: r.id, code: r.code, kind: r.kind }]));
    loadedAt = Date.now();
  };
  const ensure = async (miss: boolean) => {
    if (!skus || (miss && Date.now() - loadedAt > 1000)) await load();
  };
  return {
    async skuByGtin(gtin: string): Promise<SkuRef | undefined> {
      await ensure(false);
      if (!skus!.has(gtin)) await ensure(true);
      return skus!.get(gtin);
    },
    async skuById(id: string): Promise<SkuRef | undefined> {
      await ensure(false);
      if (!skusById!.has(id)) await ensure(true);
      return skusById!.get(id);
    },
    async locationByCode(code: string): Promise<LocationRef | undefined> {
      await ensure(false);
      if (!locations!.has(code)) await ensure(true);
      return locations!.get(code);
    },
  };
}

export type StockReferences = ReturnType<typeof createStockReferences>;
