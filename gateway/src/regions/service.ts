import type { Db } from '../platform/db';
import type { Region } from '../platform/db/schema';

export interface RegionService {
  get(code: string): Region | undefined;
  /** The code itself, then its parent, up to the province. */
  lineage(code: string): Region[];
  /** True when `code` is `ancestor` or lies beneath it (GB/T 2260 hierarchy). */
  isWithin(code: string, ancestor: string): boolean;
  children(code: string | null): Region[];
  all(): Region[];
  reload(): Promise<void>;
}

/**
 * Regions are reference data (~3,400 rows) that every rule consults, so they are held in memory and
 * answered without a query; `reload()` after a change.
 */
export async function createRegionService(db: Db): Promise<RegionService> {
  let byCode = new Map<string, Region>();
  let byParent = new Map<string | null, Region[]>();
  let rows: Region[] = [];
  const reload = async () => {
    rows = await db.selectFrom('regions').selectAll().orderBy('code').execute();
    byCode = new Map(rows.map((r) => [r.code, r]));
    byParent = new Map();
    for (const r of rows) {
      const list = byParent.get(r.parent_code) ?? [];
      list.push(r);
      byParent.set(r.parent_code, list);
    }
  };
  await reload();
  const lineage = (code: string): Region[] => {
    const out: Region[] = [];
    for (let r = byCode.get(code); r && out.length < 4; r = r.parent_code ? byCode.get(r.parent_code) : undefined) out.push(r);
    return out;
  };
  return {
    get: (code) => byCode.get(code),
    lineage,
    isWithin: (code, ancestor) => lineage(code).some((r) => r.code === ancestor),
    children: (code) => byParent.get(code) ?? [],
    all: () => rows,
    reload,
  };
}
