import { sql } from 'kysely';
import type { Db } from '../platform/db';

export interface BatchPick {
  batch: string;
  expiryDate: string | null;
  quantity: number;
}

/**
 * First-expiry-first-out: which batches to pick `quantity` from at a location, earliest expiry first, using
 * only what is available (on hand minus reserved). Returns null when the location cannot cover it.
 */
export async function allocateFirstExpiryFirst(db: Db, skuId: string, locationId: string, quantity: number): Promise<BatchPick[] | null> {
  const rows = await db
    .selectFrom('stock_balances')
    .select(['batch', sql<string | null>`expiry_date::text`.as('expiry_date'), 'on_hand', 'reserved'])
    .where('sku_id', '=', skuId)
    .where('location_id', '=', locationId)
    .where((eb) => eb('on_hand', '>', eb.ref('reserved')))
    .orderBy('expiry_date', (ob) => ob.asc().nullsLast())
    .orderBy('batch')
    .execute();
  const picks: BatchPick[] = [];
  let left = quantity;
  for (const r of rows) {
    if (left <= 0) break;
    const take = Math.min(left, r.on_hand - r.reserved);
    picks.push({ batch: r.batch, expiryDate: r.expiry_date, quantity: take });
    left -= take;
  }
  return left > 0 ? null : picks;
}
