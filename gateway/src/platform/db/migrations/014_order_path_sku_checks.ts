import { type Kysely, sql } from 'kysely';
import { refuseDeletes } from './refuse-deletes';

/**
 * A placed order of 5 lines wrote 15 foreign-key checks against the catalogue and the warehouses: its 5 reservation
 * movements (stock_movements.sku_id, .location_id) and its 5 lines (order_lines.sku_id). Each check is a query of its
 * own that takes a key-share lock on a SKU or warehouse row which every concurrent order locks too; together they
 * cost about 0.13 ms of PostgreSQL per order under 10 concurrent orders (measured on the bench data, docs/ordering.md).
 * The checks could not fail: every writer takes these ids from the rows themselves (a reservation from the balance
 * row it reserves, which references both; movements from connectors and the API from the SKU and location looked up
 * by GTIN and code; an order line from the catalogue), and the rows are never deleted. As for codes (migration 013),
 * the checks are replaced by what keeps the references good: neither parties (013) nor SKUs can be deleted (a SKU is
 * discontinued instead).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table stock_movements drop constraint if exists stock_movements_sku_id_fkey`.execute(db);
  await sql`alter table stock_movements drop constraint if exists stock_movements_location_id_fkey`.execute(db);
  await sql`alter table order_lines drop constraint if exists order_lines_sku_id_fkey`.execute(db);
  await refuseDeletes(db, 'skus', 'SKUs are never deleted (stock movements and order lines refer to them): discontinue the SKU instead');
}
