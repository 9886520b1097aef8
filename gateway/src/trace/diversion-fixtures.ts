/**
 * For tests and benchmarks of the diversion path: a first-tier dealer of the demo network with one store inside its
 * authorised region and one outside it (in another dealer's), found from the authorisations in force.
 */
export interface DiversionStores {
  dealerId: string;
  inside: { id: string; code: string };
  outside: { id: string; code: string };
}

export interface DiversionStoreRow {
  dealer_id: string;
  store_id: string;
  store_code: string;
  inside: boolean;
}

const STORES_BY_COVERAGE = `
  with recursive lin(store_id, code) as (
    select id, region_code from parties where kind = 'store' and gln is not null
    union all select l.store_id, r.parent_code from lin l join regions r on r.code = l.code where r.parent_code is not null),
  covered as (select distinct a.dealer_id, l.store_id from lin l join region_authorisations a on a.region_code = l.code and a.valid_to is null
    join parties d on d.id = a.dealer_id and d.kind = 'dealer' and d.tier = 1)
  select d.id as dealer_id, s.id as store_id, s.code as store_code,
    exists (select 1 from covered c where c.dealer_id = d.id and c.store_id = s.id) as inside
  from parties d cross join parties s
  where d.kind = 'dealer' and d.tier = 1 and s.kind = 'store' and s.gln is not null
    and exists (select 1 from covered c where c.store_id = s.id)
  order by d.code, s.code`;

/** Runs the query through whichever client the caller has (Kysely in tests, a pg pool in benchmarks). */
export async function findDiversionStores(query: (text: string) => Promise<DiversionStoreRow[]>): Promise<DiversionStores> {
  const rows = await query(STORES_BY_COVERAGE);
  const dealerId = [...new Set(rows.map((r) => r.dealer_id))].find((d) => rows.some((r) => r.dealer_id === d && r.inside) && rows.some((r) => r.dealer_id === d && !r.inside));
  if (!dealerId) throw new Error('demo network: no first-tier dealer with stores inside and outside its region');
  const inside = rows.find((r) => r.dealer_id === dealerId && r.inside)!;
  const outside = rows.find((r) => r.dealer_id === dealerId && !r.inside)!;
  return { dealerId, inside: { id: inside.store_id, code: inside.store_code }, outside: { id: outside.store_id, code: outside.store_code } };
}
