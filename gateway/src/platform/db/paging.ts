import { sql } from 'kysely';

/** Select this beside a page's columns: the count of all matching rows, in the same query. */
export const totalCount = () => sql<number>`count(*) over()`.as('total_count');

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * Turns a page of rows that carry `total_count` into a page with the total. A page past the end has no row
 * to carry the count, so then (only) the count is asked separately.
 */
export async function toPage<R extends { total_count: unknown }>(
  rows: R[],
  page: { limit: number; offset: number },
  countAll: () => Promise<number | string | bigint>,
): Promise<Page<Omit<R, 'total_count'>>> {
  const total = rows[0] ? Number(rows[0].total_count) : page.offset > 0 ? Number(await countAll()) : 0;
  return { items: rows.map(({ total_count: _, ...item }) => item), total, limit: page.limit, offset: page.offset };
}
