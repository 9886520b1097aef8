import type { AuthorisationService } from '../authorisations/service';
import type { Db } from '../platform/db';
import { conflict, invalid, notFound } from '../platform/http/problem';
import type { RegionService } from '../regions/service';

export interface DeliveryCheck {
  inside: boolean;
  /** The codes the dealer (or, inherited, its first-tier dealer) is authorised for at that instant. */
  authorised: string[];
  reason: string | null;
}

/**
 * Cross-region order interception (跨区订单拦截): an order or transfer delivering outside the ordering dealer's
 * authorised region waits for HQ. The ordering and transfer areas call `interceptIfOutside` before they commit.
 */
export function createInterceptionService(deps: { db: Db; regions: RegionService; authorisations: AuthorisationService }) {
  const { db, regions, authorisations } = deps;

  async function checkDeliveryAddress(dealerId: string, regionCode: string, at: Date): Promise<DeliveryCheck> {
    if (!regions.get(regionCode)) throw invalid('body.delivery_region_code', `${regionCode} is not a GB/T 2260 region code`);
    const index = await authorisations.index();
    if (!index.party(dealerId)) throw invalid('body.dealer_id', 'must be a dealer or store');
    const e = index.effectiveAt(dealerId, at);
    if (e.codes.length === 0) return { inside: false, authorised: [], reason: `the dealer holds no authorised region on ${at.toISOString()}` };
    if (index.covers(dealerId, regionCode, at)) return { inside: true, authorised: e.codes, reason: null };
    const place = regions.lineage(regionCode).map((r) => r.name).reverse().join(' ');
    return { inside: false, authorised: e.codes, reason: `delivery to ${regionCode} (${place}) lies outside the authorised region ${e.codes.join(', ')}` };
  }

  /** Holds the order/transfer when its delivery lies outside; idempotent per (kind, reference). */
  async function interceptIfOutside(input: { kind: 'order' | 'transfer'; reference: string; dealerId: string; deliveryRegionCode: string; at: Date }) {
    const check = await checkDeliveryAddress(input.dealerId, input.deliveryRegionCode, input.at);
    if (check.inside) return { held: false as const, check };
    await db
      .insertInto('region_holds')
      .values({ kind: input.kind, reference: input.reference, dealer_id: input.dealerId, delivery_region_code: input.deliveryRegionCode, reason: check.reason! })
      .onConflict((oc) => oc.columns(['kind', 'reference']).doNothing())
      .execute();
    const hold = await db.selectFrom('region_holds').selectAll().where('kind', '=', input.kind).where('reference', '=', input.reference).executeTakeFirstOrThrow();
    return { held: true as const, check, hold };
  }

  async function decide(id: string, decision: 'approved' | 'rejected', note: string | undefined, actor: string) {
    const hold = await db.selectFrom('region_holds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!hold) throw notFound(`Hold ${id}`);
    const updated = await db
      .updateTable('region_holds')
      .set({ status: decision, decided_by: actor, decided_at: new Date(), decision_note: note ?? null })
      .where('id', '=', id)
      .where('status', '=', 'held')
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw conflict(`Hold ${id} was already ${hold.status}`);
    await db.insertInto('audit_log').values({ actor, action: `hold.${decision}`, entity: 'region_hold', entity_id: id, detail: { kind: hold.kind, reference: hold.reference, note: note ?? null } }).execute();
    return updated;
  }

  /** Whether an order/transfer may proceed: not held, or approved. */
  async function status(kind: 'order' | 'transfer', reference: string) {
    const hold = await db.selectFrom('region_holds').selectAll().where('kind', '=', kind).where('reference', '=', reference).executeTakeFirst();
    return { may_proceed: !hold || hold.status === 'approved', hold: hold ?? null };
  }

  async function list(filter: { dealerIds: string[] | null; status?: 'held' | 'approved' | 'rejected' | undefined; limit: number; offset: number }) {
    let q = db.selectFrom('region_holds');
    if (filter.dealerIds) q = q.where('dealer_id', 'in', filter.dealerIds.length ? filter.dealerIds : ['00000000-0000-0000-0000-000000000000']);
    if (filter.status) q = q.where('status', '=', filter.status);
    const [items, total] = await Promise.all([
      q.selectAll().orderBy('requested_at', 'desc').orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n), limit: filter.limit, offset: filter.offset };
  }

  return { checkDeliveryAddress, interceptIfOutside, decide, status, list };
}

export type InterceptionService = ReturnType<typeof createInterceptionService>;
