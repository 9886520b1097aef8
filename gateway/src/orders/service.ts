import crypto from 'node:crypto';
import { newSourceId } from '@cradle/protocol';
import { type Kysely, sql } from 'kysely';
import type { DeliveryCheck, InterceptionService } from '../interception/service';
import type { Selectable } from 'kysely';
import type { Database, Db } from '../platform/db';
import type { OrdersTable } from '../platform/db/schema';
import type { Logger } from '../platform/logging';
import type { StockService } from '../stock/service';
import { allocateLines, allocationContext, type LineAllocation, notExpiringBefore } from './allocate';
import { addOpenOrders, creditFigures, lockCreditAccount, type Receivables } from './credit';
import { type Actor, badTransition, canMove, EXPOSED_STATES, type HoldReason, invalidOrder, OrderError, type OrderPriceLevel, type OrderState, round2, SYSTEM } from './model';
import { buyerSnapshot, type OrderParty, type OrderReferences, type OrderSku, type Promotion } from './references';
import type { NotifiableEvent, OrderNotifier } from './webhooks';

export interface PlaceOrderInput {
  idempotencyKey: string;
  /** The ordering party; dealers and stores may only name themselves. */
  buyerId: string;
  deliveryRegionCode: string;
  deliveryAddress: string;
  lines: Array<{ gtin: string; quantity: number }>;
  note?: string | undefined;
  /** false keeps it a draft; the default submits at once (credit, region, allocation). */
  submit: boolean;
}

interface PendingEvent {
  from: OrderState | null;
  to: OrderState;
  actor: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

export interface OrderServiceDeps {
  db: Db;
  refs: OrderReferences;
  stock: StockService;
  interception: InterceptionService;
  notifier: OrderNotifier;
  receivables: Receivables;
  log: Logger;
  clock?: () => Date;
}

/** A first-tier dealer buys from HQ; a distributor or store from the party that supplies it (its parent). */
export function priceLevelOf(p: OrderParty): OrderPriceLevel | null {
  if (p.kind === 'dealer' && p.tier === 1) return 'first_tier';
  if (p.kind === 'dealer' && p.tier === 2 && p.parentId) return 'second_tier';
  if (p.kind === 'store' && p.parentId) return 'store';
  return null;
}

/** The unit a level orders in: first-tier dealers whole cases from HQ, the others the smallest pack. */
export function orderPackOf(sku: OrderSku, level: OrderPriceLevel): number {
  return level === 'first_tier' ? Math.max(sku.unitsPerCase, 1) : Math.max(1, Math.min(...sku.packSizes));
}

/** The promotion in force for a SKU at a level on a day that gives the most; free units = ⌊quantity / buy⌋ × free. */
export function bestPromotion(promotions: readonly Promotion[], sku: OrderSku, level: OrderPriceLevel, day: string, quantity: number): { code: string; free: number } | null {
  let best: { code: string; free: number } | null = null;
  for (const p of promotions) {
    if (p.skuId !== null ? p.skuId !== sku.id : p.category !== sku.category) continue;
    if (!p.levels.includes(level) || p.validFrom > day || (p.validTo !== null && p.validTo < day)) continue;
    const free = Math.floor(quantity / p.buy) * p.free;
    if (free > 0 && (!best || free > best.free)) best = { code: p.code, free };
  }
  return best;
}

/** Local calendar day in China (UTC+8, no DST): prices and promotions change at midnight there. */
export const chinaDay = (at: Date) => new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * Runs a transaction again when PostgreSQL broke a deadlock by failing it (40P01): reservations that must reach for
 * more batches after their first locks can meet another order's locks out of order.
 */
async function retryOnDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: unknown }).code !== '40P01' || attempt >= 3) throw err;
    }
  }
}

/** What order_place answers: the order under the key already (nothing written), or the order it placed. */
type Placed =
  | { existing: { id: string; request_hash: string } }
  | { stale_buyer: true }
  | {
      number: number;
      state: OrderState;
      hold_reasons: HoldReason[];
      hold_detail: Record<string, unknown> | null;
      /** Units reserved per line number. */
      allocated: Record<number, number>;
      events: Array<{ id: number; from_state: OrderState | null; to_state: OrderState }>;
    };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hashOf = (v: unknown) => crypto.createHash('sha256').update(JSON.stringify(v)).digest('hex');

export function createOrderService(deps: OrderServiceDeps) {
  const { db, refs, stock, interception, notifier, receivables, log } = deps;

  /** The buyer's locked account with its unpaid invoices taken from the ERPs (read before) when it has ERP accounts. */
  async function creditOf(trx: Kysely<Database>, buyer: OrderParty, erpUnpaid: number | null, total: number) {
    const account = await lockCreditAccount(trx, buyer);
    return creditFigures({ ...account, unpaid_invoices: erpUnpaid ?? account.unpaid_invoices }, total);
  }

  /**
   * Everything a submission or allocation reads besides its own rows, fetched before the transaction opens: a
   * transaction must never wait for a second pool connection (under load every connection would wait).
   */
  async function contextFor(buyer: OrderParty, sellerId: string | null, level: OrderPriceLevel, deliveryRegionCode: string | null, at: Date) {
    const [alloc, region, erpUnpaid, catalogue] = await Promise.all([
      allocationContext(refs, buyer, sellerId, level),
      deliveryRegionCode ? interception.checkDeliveryAddress(buyer.id, deliveryRegionCode, at) : Promise.resolve(null),
      receivables(buyer.id),
      refs.catalogue(),
    ]);
    return { ...alloc, region, erpUnpaid, catalogue };
  }
  type Context = Awaited<ReturnType<typeof contextFor>>;
  const clock = deps.clock ?? (() => new Date());

  async function insertEvents(trx: Kysely<Database>, orderId: string, events: PendingEvent[], at: Date): Promise<number[]> {
    if (events.length === 0) return [];
    const rows = await trx
      .insertInto('order_events')
      .values(events.map((e) => ({ order_id: orderId, from_state: e.from, to_state: e.to, actor: e.actor, at, reason: e.reason, detail: e.detail ? JSON.stringify(e.detail) : null })))
      .returning('id')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  const notifiable = (ids: number[], events: PendingEvent[], o: { id: string; buyerId: string; sellerId: string | null }): NotifiableEvent[] =>
    ids.map((id, i) => ({ id, orderId: o.id, buyerId: o.buyerId, sellerId: o.sellerId, fromState: events[i]!.from, toState: events[i]!.to }));

  function afterCommit(events: NotifiableEvent[]) {
    notifier.notify(events).catch((err: unknown) => log.error({ err }, 'order webhooks could not be enqueued'));
  }

  /**
   * Checks credit and the delivery region of a submitted order (locking the buyer's credit account) and either
   * holds it with the reasons and figures, or approves it, counts it in the buyer's exposure and allocates stock.
   */
  async function submitInTrx(
    trx: Kysely<Database>,
    o: { id: string; buyer: OrderParty; sellerId: string | null; level: OrderPriceLevel; total: number; deliveryRegionCode: string },
    lines: Array<{ lineNo: number; sku: OrderSku; quantity: number; free: number }>,
    ctx: Context,
    at: Date,
    events: PendingEvent[],
  ): Promise<{ state: OrderState; holdReasons: HoldReason[]; holdDetail: Record<string, unknown> | null }> {
    const region = ctx.region as DeliveryCheck;
    const credit = await creditOf(trx, o.buyer, ctx.erpUnpaid, o.total);
    const holdReasons: HoldReason[] = [];
    const detail: Record<string, unknown> = {};
    if (!credit.fits) {
      holdReasons.push('credit');
      const { fits: _, ...figures } = credit;
      detail.credit = figures;
    }
    if (!region.inside) {
      holdReasons.push('region');
      detail.region = { delivery_region_code: o.deliveryRegionCode, authorised_region_codes: region.authorised, reason: region.reason };
    }
    if (holdReasons.length > 0) {
      events.push({ from: 'submitted', to: 'held', actor: SYSTEM.name, reason: `held: ${holdReasons.join(', ')}`, detail });
      return { state: 'held', holdReasons, holdDetail: detail };
    }
    events.push({ from: 'submitted', to: 'approved', actor: SYSTEM.name, reason: 'within credit and the authorised region', detail: { credit: { exposure: credit.exposure, credit_limit: credit.credit_limit } } });
    await addOpenOrders(trx, o.buyer.id, o.total);
    const allocated = await allocateInTrx(trx, o.id, ctx, lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, want: l.quantity + l.free, allocatedSoFar: 0 })), at, events, 'approved');
    return { state: allocated.any ? 'allocated' : 'approved', holdReasons: [], holdDetail: null };
  }

  async function allocateInTrx(
    trx: Kysely<Database>,
    orderId: string,
    ctx: Context,
    lines: Array<{ lineNo: number; sku: OrderSku; want: number; allocatedSoFar: number }>,
    at: Date,
    events: PendingEvent[],
    from: OrderState,
  ): Promise<{ any: boolean; byLine: Map<number, number>; backOrdered: number; result: LineAllocation[] }> {
    const o = { id: orderId };
    const result = await allocateLines(trx, { stock }, { id: o.id, locations: ctx.locations, minDaysLeft: ctx.minDaysLeft, today: chinaDay(at), at }, lines.map((l) => ({ lineNo: l.lineNo, skuId: l.sku.id, category: l.sku.category, want: l.want, allocatedSoFar: l.allocatedSoFar })));
    const byLine = new Map(result.map((r) => [r.lineNo, r.reserved]));
    const changed = result.filter((r) => r.reserved > 0);
    if (changed.length > 0) {
      await sql`
        update order_lines l set allocated = l.allocated + v.n
        from unnest(${changed.map((r) => r.lineNo)}::int[], ${changed.map((r) => r.reserved)}::int[]) as v(line_no, n)
        where l.order_id = ${o.id} and l.line_no = v.line_no`.execute(trx);
    }
    const backOrdered = lines.reduce((s, l) => s + l.want - (byLine.get(l.lineNo) ?? 0), 0);
    const reserved = changed.reduce((s, r) => s + r.reserved, 0);
    if (reserved > 0) {
      events.push({
        from,
        to: 'allocated',
        actor: SYSTEM.name,
        reason: backOrdered > 0 ? `partly allocated: ${backOrdered} units back-ordered` : 'allocated',
        detail: { reserved, back_ordered: backOrdered, picks: result.flatMap((r) => r.picks.map((p) => ({ line_no: r.lineNo, location_id: p.locationId, batch: p.batch, expiry_date: p.expiryDate, quantity: p.quantity }))) },
      });
    }
    return { any: reserved > 0, byLine, backOrdered, result };
  }

  /** Validates the buyer and lines, prices them (frozen on the order) and applies promotions; throws on bad input. */
  async function prepare(input: PlaceOrderInput, actor: Actor, at: Date, buyer: OrderParty | undefined) {
    if (!buyer) throw invalidOrder('body.buyer_id', 'no dealer or store has this id');
    const level = priceLevelOf(buyer);
    if (!level) throw invalidOrder('body.buyer_id', 'must be a first-tier dealer, a second-tier distributor or a store with a supplier');
    if (buyer.status !== 'active') throw new OrderError('ORDER_ACCOUNT_SUSPENDED', `the account of ${buyer.code} is ${buyer.status}: it cannot order`, 'body.buyer_id');
    const day = chinaDay(at);
    const book = await refs.prices(day);
    const promotions = await refs.promotions();
    const seen = new Set<string>();
    const lines = [];
    for (const [i, l] of input.lines.entries()) {
      const sku = await refs.skuByGtin(l.gtin);
      if (!sku) throw invalidOrder(`body.lines.${i}.gtin`, `no SKU has GTIN ${l.gtin}`);
      if (!sku.active) throw invalidOrder(`body.lines.${i}.gtin`, `${l.gtin} is discontinued`);
      if (seen.has(sku.id)) throw invalidOrder(`body.lines.${i}.gtin`, `${l.gtin} appears on two lines; order it once`);
      seen.add(sku.id);
      const pack = orderPackOf(sku, level);
      if (l.quantity < pack) throw invalidOrder(`body.lines.${i}.quantity`, `the minimum for ${l.gtin} is ${pack} units (one ${level === 'first_tier' ? 'case' : 'pack'})`);
      if (l.quantity % pack !== 0) throw invalidOrder(`body.lines.${i}.quantity`, `must be a multiple of ${pack} (the ${level === 'first_tier' ? 'case' : 'pack'} size of ${l.gtin})`);
      const unit = book.price(buyer.regionCode, sku.id)?.[level];
      if (unit === undefined) throw invalidOrder(`body.lines.${i}.gtin`, `${l.gtin} has no price in region ${buyer.regionCode} on ${day}`);
      const promo = bestPromotion(promotions, sku, level, day, l.quantity);
      lines.push({ lineNo: i + 1, sku, quantity: l.quantity, free: promo?.free ?? 0, promotion: promo?.code ?? null, unitPrice: unit, lineTotal: round2(unit * l.quantity) });
    }
    const total = round2(lines.reduce((s, l) => s + l.lineTotal, 0));
    const sellerId = level === 'first_tier' ? null : buyer.parentId;
    return { buyer, level, day, rulesFrom: book.rulesEffectiveFrom, lines, total, sellerId };
  }

  /**
   * Places an order: one statement (its own transaction) writes it, its priced lines and history, and (when submitted)
   * checks credit and region and reserves stock. The idempotency key is the buyer's: the same key and body again
   * answers the order placed the first time; the same key with another body is refused.
   */
  async function place(input: PlaceOrderInput, actor: Actor): Promise<{ order: OrderView; replayed: boolean }> {
    if (actor.role !== 'hq' && input.buyerId !== actor.partyId) {
      throw new OrderError('ORDER_FORBIDDEN', 'you may only place orders for your own account', 'body.buyer_id');
    }
    const requestHash = hashOf({ b: input.buyerId, r: input.deliveryRegionCode, a: input.deliveryAddress, l: input.lines.map((l) => [l.gtin, l.quantity]), n: input.note ?? null, s: input.submit });
    // The buyer as held for placing (a malformed id is left to prepare's checks); order_place checks it again.
    let buyer = UUID.test(input.buyerId) ? await refs.buyer(input.buyerId) : undefined;
    for (let attempt = 1; ; attempt++) {
      let p: Awaited<ReturnType<typeof prepare>>;
      const at = clock();
      try {
        p = await prepare(input, actor, at, buyer);
      } catch (err) {
        if (!(err instanceof OrderError) || !UUID.test(input.buyerId)) throw err;
        // Refused: a replayed key answers its order whatever its body is judged now, and a held buyer may be out of date.
        const fresh = await refs.partyAndKey(input.buyerId, input.idempotencyKey);
        if (fresh.existing) return replay(fresh.existing, requestHash, actor);
        if (attempt > 1 || JSON.stringify(fresh.party) === JSON.stringify(buyer)) throw err;
        buyer = await refs.buyer(input.buyerId, true);
        continue;
      }
      const placed = await placeInDatabase(input, actor, p, requestHash, at);
      if ('staleBuyer' in placed) {
        if (attempt >= 3) throw new Error(`buyer ${input.buyerId} kept changing while its order was placed`);
        buyer = await refs.buyer(input.buyerId, true);
        continue;
      }
      return placed;
    }
  }

  /** order_place (migration 006) for a validated, priced order: the order it placed, the earlier one under the key, or stale. */
  async function placeInDatabase(input: PlaceOrderInput, actor: Actor, p: Awaited<ReturnType<typeof prepare>>, requestHash: string, at: Date): Promise<{ order: OrderView; replayed: boolean } | { staleBuyer: true }> {
    // Time-ordered (UUIDv7, as ids made at the source are): the order's id leads the keys of its row, lines,
    // allocations, history and reservation movements, so each order appends to those indexes instead of writing into
    // random pages of them (with random UUIDs the cost per order grew as the tables outgrew the buffer cache).
    const id = newSourceId();
    const ctx = input.submit ? await contextFor(p.buyer, p.sellerId, p.level, input.deliveryRegionCode, at) : null;
    const today = chinaDay(at);
    // One statement, its own transaction (order_place, migration 006): the credit account is locked (submitting) and
    // checked, stock reserved, and the order written with its final state, lines, allocations, history and the
    // buyer's exposure; no lock is held while Node works. The order row claims the idempotency key: when a racing
    // request with the same key committed first, order_place answers it (or fails with CRO01 and rolls back) and this
    // request answers the earlier order.
    const order = {
      id, buyer_id: p.buyer.id, seller_id: p.sellerId, price_level: p.level, price_region_code: p.buyer.regionCode, priced_on: p.day, price_rules_from: p.rulesFrom,
      idempotency_key: input.idempotencyKey, request_hash: requestHash, delivery_region_code: input.deliveryRegionCode, delivery_address: input.deliveryAddress,
      total: p.total, note: input.note ?? null, actor: actor.name, at: at.toISOString(), placed_detail: { priced_on: p.day, price_rules_from: p.rulesFrom }, buyer: buyerSnapshot(p.buyer),
    };
    const lines = p.lines.map((l) => ({
      line_no: l.lineNo, sku_id: l.sku.id, gtin: l.sku.gtin, quantity: l.quantity, free_quantity: l.free, unit_price: l.unitPrice, line_total: l.lineTotal, promotion_code: l.promotion,
      not_expiring_before: ctx ? notExpiringBefore(ctx.minDaysLeft, l.sku.category, today) : null,
    }));
    const region = ctx?.region as DeliveryCheck | undefined;
    const submission = ctx && {
      credit_limit_attribute: p.buyer.creditLimitAttribute, erp_unpaid: ctx.erpUnpaid, locations: ctx.locations,
      region_hold: region && !region.inside ? { delivery_region_code: input.deliveryRegionCode, authorised_region_codes: region.authorised, reason: region.reason } : null,
    };
    let outcome: Placed;
    try {
      outcome = await retryOnDeadlock(() =>
        stock.reservingInDatabase(async () => {
          const r = await sql<{ placed: Placed }>`select order_place(${JSON.stringify(order)}::jsonb, ${JSON.stringify(lines)}::jsonb, ${submission ? JSON.stringify(submission) : null}::jsonb) as placed`.execute(db);
          return r.rows[0]!.placed;
        }),
      );
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'CRO01') throw err;
      outcome = { existing: await db.selectFrom('orders').select(['id', 'request_hash']).where('buyer_id', '=', input.buyerId).where('idempotency_key', '=', input.idempotencyKey).executeTakeFirstOrThrow() };
    }
    if ('existing' in outcome) return replay(outcome.existing, requestHash, actor);
    if ('stale_buyer' in outcome) return { staleBuyer: true };
    if (outcome.hold_reasons.includes('region')) {
      await interception.interceptIfOutside({ kind: 'order', reference: id, dealerId: p.buyer.id, deliveryRegionCode: input.deliveryRegionCode, at });
    }
    afterCommit(outcome.events.map((e) => ({ id: e.id, orderId: id, buyerId: p.buyer.id, sellerId: p.sellerId, fromState: e.from_state, toState: e.to_state })));
    const view: OrderView = {
      id, number: outcome.number, state: outcome.state, buyer_id: p.buyer.id, buyer_code: p.buyer.code, seller_id: p.sellerId, price_level: p.level, price_region_code: p.buyer.regionCode,
      priced_on: p.day, price_rules_from: p.rulesFrom, currency: 'CNY', total: p.total, delivery_region_code: input.deliveryRegionCode, delivery_address: input.deliveryAddress,
      hold_reasons: outcome.hold_reasons, hold_detail: outcome.hold_detail, note: input.note ?? null, idempotency_key: input.idempotencyKey, created_by: actor.name, created_at: at, updated_at: at,
      lines: p.lines.map((l) => {
        const allocatedUnits = outcome.allocated[l.lineNo] ?? 0;
        return lineView({ line_no: l.lineNo, gtin: l.sku.gtin, sku_id: l.sku.id, name: l.sku.name, quantity: l.quantity, free_quantity: l.free, unit_price: l.unitPrice, line_total: l.lineTotal, promotion_code: l.promotion, allocated: allocatedUnits, dispatched: 0, received: 0 }, outcome.state);
      }),
    };
    return { order: view, replayed: false };
  }

  async function replay(existing: { id: string; request_hash: string }, requestHash: string, actor: Actor) {
    if (existing.request_hash !== requestHash) {
      throw new OrderError('ORDER_KEY_REUSED', 'this idempotency key was already used for a different order; use a new key for a new order', 'idempotency_key', { order_id: existing.id });
    }
    return { order: (await get(existing.id, actor))!, replayed: true };
  }

  /** One order with its lines, or undefined when it does not exist or the caller may not see it. */
  async function get(id: string, actor: Actor): Promise<OrderView | undefined> {
    const o = await db.selectFrom('orders').innerJoin('parties as b', 'b.id', 'orders.buyer_id').selectAll('orders').select('b.code as buyer_code').where('orders.id', '=', id).executeTakeFirst();
    if (!o || !mayRead(actor, o)) return undefined;
    const lines = await db.selectFrom('order_lines').innerJoin('skus', 'skus.id', 'order_lines.sku_id').selectAll('order_lines').select('skus.name').where('order_id', '=', id).orderBy('line_no').execute();
    return {
      id: o.id, number: Number(o.number), state: o.state, buyer_id: o.buyer_id, buyer_code: o.buyer_code, seller_id: o.seller_id, price_level: o.price_level, price_region_code: o.price_region_code.trim(),
      priced_on: day(o.priced_on), price_rules_from: day(o.price_rules_from), currency: o.currency, total: Number(o.total), delivery_region_code: o.delivery_region_code.trim(), delivery_address: o.delivery_address,
      hold_reasons: o.hold_reasons as HoldReason[], hold_detail: o.hold_detail, note: o.note, idempotency_key: o.idempotency_key, created_by: o.created_by, created_at: o.created_at, updated_at: o.updated_at,
      lines: lines.map((l) => lineView({ ...l, gtin: l.gtin.trim(), unit_price: Number(l.unit_price), line_total: Number(l.line_total) }, o.state)),
    };
  }

  const mayRead = (actor: Actor, o: { buyer_id: string; seller_id: string | null }) =>
    actor.role === 'hq' || actor.role === 'system' || (actor.partyId !== null && (o.buyer_id === actor.partyId || o.seller_id === actor.partyId));

  /** Locks an order for a change, checking that the caller may see it and that the move is allowed. */
  async function lockForMove(trx: Kysely<Database>, id: string, actor: Actor, to: OrderState) {
    const o = await trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!o || !mayRead(actor, o)) throw new OrderError('ORDER_NOT_FOUND', `order ${id} was not found`);
    if (!canMove(o.state, to)) throw badTransition(o.state, to);
    return o;
  }

  async function linesForAllocation(trx: Kysely<Database>, id: string, catalogue: ReadonlyMap<string, OrderSku>) {
    const rows = await trx.selectFrom('order_lines').select(['line_no', 'sku_id', 'quantity', 'free_quantity', 'allocated']).where('order_id', '=', id).orderBy('line_no').execute();
    const out = [];
    for (const r of rows) {
      const sku = catalogue.get(r.sku_id);
      if (!sku) throw new Error(`SKU ${r.sku_id} of order ${id} vanished from the catalogue`);
      out.push({ lineNo: r.line_no, sku, want: r.quantity + r.free_quantity - r.allocated, allocatedSoFar: r.allocated });
    }
    return out;
  }

  /** Runs one change of an order in a transaction and notifies webhooks after the commit. */
  async function change<C>(
    id: string,
    actor: Actor,
    to: OrderState,
    prepare: (o: OrderRow, at: Date) => Promise<C>,
    work: (trx: Kysely<Database>, o: OrderRow, ctx: C, events: PendingEvent[], at: Date) => Promise<Partial<{ state: OrderState; exposure: number; hold_reasons: string[]; hold_detail: string | null }>>,
    afterwards?: (o: OrderRow, ctx: C, at: Date) => Promise<unknown>,
  ) {
    const at = clock();
    const events: PendingEvent[] = [];
    // Read without a lock first, to prepare outside the transaction; the locked row is checked again inside.
    const seen = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
    if (!seen || !mayRead(actor, seen)) throw new OrderError('ORDER_NOT_FOUND', `order ${id} was not found`);
    if (!canMove(seen.state, to)) throw badTransition(seen.state, to);
    const ctx = await prepare(seen, at);
    const done = await db.transaction().execute(async (trx) => {
      const o = await lockForMove(trx, id, actor, to);
      const set = await work(trx, o, ctx, events, at);
      await trx.updateTable('orders').set({ ...set, updated_at: at }).where('id', '=', id).execute();
      const eventIds = await insertEvents(trx, id, events, at);
      return { o, eventIds };
    });
    if (afterwards) await afterwards(done.o, ctx, at);
    afterCommit(notifiable(done.eventIds, events, { id, buyerId: done.o.buyer_id, sellerId: done.o.seller_id }));
    return (await get(id, actor))!;
  }

  const orderContext = async (o: OrderRow, at: Date, withRegion: boolean) => contextFor(await buyerOf(o), o.seller_id, o.price_level, withRegion ? o.delivery_region_code.trim() : null, at);

  async function buyerOf(o: { buyer_id: string }) {
    const buyer = await refs.party(o.buyer_id);
    if (!buyer) throw new Error(`buyer ${o.buyer_id} vanished`);
    return buyer;
  }

  return {
    place,
    get,
    mayRead,

    /** Submits a draft: credit and region checks, then approval and allocation or a hold. */
    submit: (id: string, actor: Actor) =>
      change(
        id,
        actor,
        'submitted',
        async (o, at) => {
          if (actor.role !== 'hq' && actor.partyId !== o.buyer_id) throw new OrderError('ORDER_FORBIDDEN', 'only the buyer (or HQ) submits its draft');
          const buyer = await buyerOf(o);
          if (buyer.status !== 'active') throw new OrderError('ORDER_ACCOUNT_SUSPENDED', `the account of ${buyer.code} is ${buyer.status}: it cannot order`);
          return { buyer, ctx: await orderContext(o, at, true) };
        },
        async (trx, o, { buyer, ctx }, events, at) => {
          events.push({ from: 'draft', to: 'submitted', actor: actor.name, reason: null, detail: null });
          const lines = (await linesForAllocation(trx, id, ctx.catalogue)).map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: l.want, free: 0 }));
          const r = await submitInTrx(trx, { id, buyer, sellerId: o.seller_id, level: o.price_level, total: Number(o.total), deliveryRegionCode: o.delivery_region_code.trim() }, lines, ctx, at, events);
          return { state: r.state, hold_reasons: r.holdReasons, hold_detail: r.holdDetail ? JSON.stringify(r.holdDetail) : null, exposure: EXPOSED_STATES.includes(r.state) ? Number(o.total) : 0 };
        },
        async (o, { ctx }, at) => {
          if (ctx.region && !ctx.region.inside) await interception.interceptIfOutside({ kind: 'order', reference: id, dealerId: o.buyer_id, deliveryRegionCode: o.delivery_region_code.trim(), at });
        },
      ),

    /**
     * Approves a held order. A region hold is HQ's to lift (and is decided in the region-control area); a credit hold
     * passes when the order now fits, else only HQ may override it, with a reason. Then stock is allocated.
     */
    approve: (id: string, actor: Actor, overrideReason: string | undefined) =>
      change(
        id,
        actor,
        'approved',
        async (o, at) => {
          if (actor.role !== 'hq' && actor.partyId !== o.seller_id) throw new OrderError('ORDER_FORBIDDEN', 'only HQ, or the dealer the order was placed with, approves it');
          let regionHold: string | null = null;
          if ((o.hold_reasons as HoldReason[]).includes('region')) {
            if (actor.role !== 'hq') throw new OrderError('ORDER_FORBIDDEN', 'a delivery outside the authorised region is approved by HQ only');
            const st = await interception.status('order', id);
            if (st.hold?.status === 'rejected') throw new OrderError('ORDER_BAD_TRANSITION', 'HQ rejected the cross-region delivery: cancel the order', 'state');
            if (st.hold?.status === 'held') regionHold = st.hold.id;
          }
          return { buyer: await buyerOf(o), ctx: await orderContext(o, at, false), regionHold };
        },
        async (trx, o, { buyer, ctx }, events, at) => {
          const detail: Record<string, unknown> = {};
          if ((o.hold_reasons as HoldReason[]).includes('region')) detail.region = 'approved';
          const credit = await creditOf(trx, buyer, ctx.erpUnpaid, Number(o.total));
          const { fits, ...figures } = credit;
          if (!fits) {
            if (actor.role !== 'hq' || !overrideReason) {
              throw new OrderError('ORDER_CREDIT_EXCEEDED', `the order (${o.total} CNY) exceeds the credit left (${credit.available} CNY): HQ may override with a reason`, 'override_reason', { credit: figures });
            }
            detail.credit_override = { reason: overrideReason, ...figures };
          }
          events.push({ from: o.state, to: 'approved', actor: actor.name, reason: overrideReason ?? null, detail });
          await addOpenOrders(trx, buyer.id, Number(o.total));
          const r = await allocateInTrx(trx, id, ctx, await linesForAllocation(trx, id, ctx.catalogue), at, events, 'approved');
          return { state: r.any ? 'allocated' : 'approved', exposure: Number(o.total), hold_reasons: [] };
        },
        async (_o, { regionHold }) => {
          if (regionHold) await interception.decide(regionHold, 'approved', overrideReason ?? 'approved with the order', actor.name);
        },
      ),

    /** Reserves back-ordered units (an approved order with nothing yet, or an allocated one with a shortfall). */
    allocate: (id: string, actor: Actor) =>
      change(
        id,
        actor,
        'allocated',
        async (o, at) => {
          if (actor.role !== 'hq' && actor.partyId !== o.seller_id && actor.partyId !== o.buyer_id) throw new OrderError('ORDER_FORBIDDEN', 'not your order');
          return orderContext(o, at, false);
        },
        async (trx, o, ctx, events, at) => {
          const r = await allocateInTrx(trx, id, ctx, await linesForAllocation(trx, id, ctx.catalogue), at, events, o.state);
          if (!r.any) throw new OrderError('ORDER_BAD_TRANSITION', 'no stock could be reserved for the back-ordered units now; see the transfer options', 'state', { back_ordered: r.backOrdered });
          return { state: 'allocated' };
        },
      ),

    /** Cancels an order not yet dispatched: its reservations are released and its total leaves the buyer's exposure. */
    cancel: (id: string, actor: Actor, reason: string) =>
      change(
        id,
        actor,
        'cancelled',
        async (o) => {
          if (actor.role !== 'hq' && actor.partyId !== o.buyer_id && actor.partyId !== o.seller_id) throw new OrderError('ORDER_FORBIDDEN', 'not your order');
        },
        async (trx, o, _ctx, events, at) => {
          const held = await trx.selectFrom('order_allocations').selectAll().where('order_id', '=', id).where('state', '=', 'reserved').execute();
          await stock.applyOrderStockChanges(
            trx,
            held.map((a) => ({ idempotencyKey: `${a.reservation_key}:release`, reason: 'release', skuId: a.sku_id, locationId: a.location_id, batch: a.batch, expiryDate: a.expiry_date === null ? null : day(a.expiry_date), onHand: 0, reserved: -a.quantity, reference: `order:${id}` })),
            at,
          );
          if (held.length > 0) await trx.updateTable('order_allocations').set({ state: 'released' }).where('order_id', '=', id).where('state', '=', 'reserved').execute();
          await addOpenOrders(trx, o.buyer_id, -Number(o.exposure));
          events.push({ from: o.state, to: 'cancelled', actor: actor.name, reason, detail: { released_units: held.reduce((s, a) => s + a.quantity, 0) } });
          return { state: 'cancelled', exposure: 0 };
        },
      ),

    change,
    history: (id: string) => db.selectFrom('order_events').selectAll().where('order_id', '=', id).orderBy('id').execute(),
    allocations: (id: string) => db.selectFrom('order_allocations').innerJoin('parties', 'parties.id', 'order_allocations.location_id').select(['order_allocations.line_no', 'order_allocations.batch', 'order_allocations.expiry_date', 'order_allocations.quantity', 'order_allocations.state', 'parties.code as location_code', 'order_allocations.location_id']).where('order_id', '=', id).orderBy('line_no').orderBy('order_allocations.id').execute(),
  };
}

export type OrderService = ReturnType<typeof createOrderService>;
type OrderRow = Selectable<OrdersTable>;

const day = (v: unknown): string => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

export interface OrderLineView {
  line_no: number;
  gtin: string;
  sku_id: string;
  name: string;
  quantity: number;
  free_quantity: number;
  unit_price: number;
  line_total: number;
  promotion_code: string | null;
  allocated: number;
  back_ordered: number;
  dispatched: number;
  received: number;
  /** Where to look for stock to transfer when units are back-ordered. */
  transfer_options: string | null;
}

export interface OrderView {
  id: string;
  number: number;
  state: OrderState;
  buyer_id: string;
  buyer_code: string;
  seller_id: string | null;
  price_level: OrderPriceLevel;
  price_region_code: string;
  priced_on: string;
  price_rules_from: string;
  currency: string;
  total: number;
  delivery_region_code: string;
  delivery_address: string;
  hold_reasons: HoldReason[];
  hold_detail: Record<string, unknown> | null;
  note: string | null;
  idempotency_key: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  lines: OrderLineView[];
}

function lineView(l: Omit<OrderLineView, 'back_ordered' | 'transfer_options'>, state: OrderState): OrderLineView {
  const open = ['approved', 'allocated'].includes(state);
  const backOrdered = open ? l.quantity + l.free_quantity - l.allocated : 0;
  return { ...l, back_ordered: backOrdered, transfer_options: backOrdered > 0 ? `/api/v1/stock/network?sku=${l.gtin}` : null };
}
