import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { toPage, totalCount } from '../platform/db/paging';
import type { OrderState } from './model';

export interface OrderFilter {
  states?: OrderState[] | undefined;
  buyerId?: string | undefined;
  sellerId?: string | undefined;
  /** HQ sees everything (null); a dealer or store only orders it placed or that were placed with it. */
  visibleTo: string | null;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
  gtin?: string | undefined;
  heldFor?: 'credit' | 'region' | undefined;
}

function filtered(db: Db, f: OrderFilter) {
  let q = db.selectFrom('orders').innerJoin('parties as b', 'b.id', 'orders.buyer_id').leftJoin('parties as s', 's.id', 'orders.seller_id');
  if (f.visibleTo !== null) {
    const me = f.visibleTo;
    q = q.where((eb) => eb.or([eb('orders.buyer_id', '=', me), eb('orders.seller_id', '=', me)]));
  }
  if (f.states?.length) q = q.where('orders.state', 'in', f.states);
  if (f.buyerId) q = q.where('orders.buyer_id', '=', f.buyerId);
  if (f.sellerId) q = q.where('orders.seller_id', '=', f.sellerId);
  if (f.createdFrom) q = q.where('orders.created_at', '>=', f.createdFrom);
  if (f.createdTo) q = q.where('orders.created_at', '<', f.createdTo);
  if (f.heldFor) q = q.where(sql<boolean>`${f.heldFor} = any(orders.hold_reasons)`);
  if (f.gtin) {
    const gtin = f.gtin;
    q = q.where((eb) => eb.exists(eb.selectFrom('order_lines as l').select('l.line_no').whereRef('l.order_id', '=', 'orders.id').where('l.gtin', '=', gtin)));
  }
  return q;
}

const columns = [
  'orders.id', 'orders.number', 'orders.state', 'orders.buyer_id', 'b.code as buyer_code', 'orders.seller_id', 's.code as seller_code', 'orders.price_level',
  'orders.total', 'orders.currency', 'orders.delivery_region_code', 'orders.hold_reasons', 'orders.created_by', 'orders.created_at', 'orders.updated_at',
] as const;

const shape = <R extends { total: number; number: number; delivery_region_code: string }>(r: R) => ({ ...r, total: Number(r.total), number: Number(r.number), delivery_region_code: r.delivery_region_code.trim() });

/** A page of orders, newest first, with the total count. */
export async function listOrders(db: Db, f: OrderFilter, page: { limit: number; offset: number }) {
  const q = filtered(db, f);
  const rows = await q.select([...columns]).select(totalCount()).orderBy('orders.created_at', 'desc').orderBy('orders.number', 'desc').limit(page.limit).offset(page.offset).execute();
  const p = await toPage(rows, page, async () => (await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { ...p, items: p.items.map(shape) };
}

/** Guards a cell against CSV/formula injection in spreadsheets (OWASP): a leading = + - @ is quoted with '. */
function cell(v: unknown): string {
  let s = v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(' ') : v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_LIMIT = 50_000;

/** The filtered orders as CSV, one row per line of each order (order columns repeated), newest first. */
export async function exportOrdersCsv(db: Db, f: OrderFilter): Promise<string> {
  const rows = await filtered(db, f)
    .innerJoin('order_lines as l', 'l.order_id', 'orders.id')
    .select([...columns, 'l.line_no', 'l.gtin', 'l.quantity', 'l.free_quantity', 'l.unit_price', 'l.line_total', 'l.allocated', 'l.dispatched', 'l.received', 'l.promotion_code'])
    .orderBy('orders.created_at', 'desc')
    .orderBy('orders.number', 'desc')
    .orderBy('l.line_no')
    .limit(CSV_LIMIT)
    .execute();
  const header = ['order_number', 'order_id', 'state', 'buyer_code', 'seller_code', 'price_level', 'order_total', 'currency', 'delivery_region_code', 'hold_reasons', 'created_by', 'created_at', 'line_no', 'gtin', 'quantity', 'free_quantity', 'unit_price', 'line_total', 'allocated', 'dispatched', 'received', 'promotion_code'];
  const out = [header.join(',')];
  for (const r of rows) {
    out.push(
      [r.number, r.id, r.state, r.buyer_code, r.seller_code ?? 'HQ', r.price_level, Number(r.total).toFixed(2), r.currency, r.delivery_region_code.trim(), r.hold_reasons, r.created_by, r.created_at, r.line_no, r.gtin.trim(), r.quantity, r.free_quantity, Number(r.unit_price).toFixed(2), Number(r.line_total).toFixed(2), r.allocated, r.dispatched, r.received, r.promotion_code]
        .map(cell)
        .join(','),
    );
  }
  return `${out.join('\r\n')}\r\n`;
}
