import { sql } from 'kysely';
import type { Db } from '../platform/db';

export class DispatchBindingError extends Error {
  override name = 'DispatchBindingError';
  constructor(
    readonly code: 'ALREADY_BOUND' | 'UNKNOWN_PARTY',
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export interface DispatchBinding {
  order_id: string;
  destination_id: string;
  source_site_id: string | null;
  created_by: string;
  created_at: Date;
}

/**
 * Binds a dispatch order to its destination (a dealer, distributor or store), so the cases shipped on it are bound
 * to that party and its region. Ordering (a later area) will call this when an order is released; until then HQ
 * binds through the API. Idempotent: the same binding again is fine, another destination for the order is not.
 */
export async function bindDispatchOrder(db: Db, b: { orderId: string; destinationId: string; sourceSiteId?: string | null; by: string }): Promise<{ binding: DispatchBinding; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const dest = await trx.selectFrom('parties').select(['id', 'kind']).where('id', '=', b.destinationId).executeTakeFirst();
    if (!dest || !['dealer', 'store', 'warehouse'].includes(dest.kind)) throw new DispatchBindingError('UNKNOWN_PARTY', 'must be a dealer, distributor, store or warehouse', 'body.destinationId');
    if (b.sourceSiteId) {
      const src = await trx.selectFrom('parties').select('kind').where('id', '=', b.sourceSiteId).executeTakeFirst();
      if (!src || !['warehouse', 'factory'].includes(src.kind)) throw new DispatchBindingError('UNKNOWN_PARTY', 'must be a warehouse or factory', 'body.sourceSiteId');
    }
    const inserted = await trx
      .insertInto('dispatch_bindings')
      .values({ order_id: b.orderId, destination_id: b.destinationId, source_site_id: b.sourceSiteId ?? null, created_by: b.by })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      await trx.insertInto('audit_log').values({ actor: b.by, action: 'dispatch.bind', entity: 'dispatch_order', entity_id: b.orderId, detail: { destination: b.destinationId } }).execute();
      return { binding: inserted, created: true };
    }
    const existing = await trx.selectFrom('dispatch_bindings').selectAll().where('order_id', '=', b.orderId).executeTakeFirstOrThrow();
    if (existing.destination_id !== b.destinationId) {
      throw new DispatchBindingError('ALREADY_BOUND', `order ${b.orderId} is already bound to another destination`, 'body.destinationId');
    }
    return { binding: existing, created: false };
  });
}

/** A case (or a loose can) shipped on a dispatch order, as the trace core knows it now. */
export interface ShippedUnit {
  epc: string;
  kind: 'case' | 'item';
  /** The code's GTIN, else the GTIN of the cans packed in it. */
  gtin: string | null;
  /** The code's batch, else the batch of the cans packed in it (the lowest when they differ). */
  batch: string | null;
  /** Cans packed in the case (0 when they were not aggregated). */
  items: number;
  state: string;
  holder_id: string | null;
  shipped_to: string | null;
  last_event_at: Date | null;
}

/**
 * The cases and loose cans the shipping scans bound to a dispatch order (codes.order_id), with what they hold:
 * the dispatch line's view of the order, and — by state and holder — whether the receiver has scanned them in.
 * Read-only; ordering compares it against what it allocated.
 */
export async function shippedUnitsOfOrder(db: Db, orderId: string): Promise<ShippedUnit[]> {
  const rows = await sql<ShippedUnit & { items: string | number }>`
    select c.epc, c.kind, coalesce(trim(c.gtin), (select min(trim(k.gtin)) from codes k where k.parent_epc = c.epc)) as gtin,
           coalesce(c.batch_code, (select min(k.batch_code) from codes k where k.parent_epc = c.epc)) as batch,
           (select count(*) from codes k where k.parent_epc = c.epc and k.kind = 'item') as items,
           c.state, c.holder_id, c.shipped_to, c.last_event_at
    from codes c
    where c.order_id = ${orderId}
      and (c.kind = 'case' or (c.kind = 'item' and (c.parent_epc is null or not exists (select 1 from codes p where p.epc = c.parent_epc and p.order_id = ${orderId}))))
    order by c.epc`.execute(db);
  return rows.rows.map((r) => ({ ...r, items: Number(r.items) }));
}
