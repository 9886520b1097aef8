import { newSourceId } from '@cradle/protocol';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { defineJob } from '../platform/jobs';
import type { Logger } from '../platform/logging';
import type { StockService } from '../stock/service';
import { bindDispatchOrder, DispatchBindingError, shippedUnitsOfOrder } from '../trace/dispatch';
import { addOpenOrders } from './credit';
import { type Actor, invalidOrder, OrderError } from './model';
import type { OrderService } from './service';

/** A WMS dispatch task as the connector takes it (connectors-runtime/wms.ts `createDispatchTask`). */
export type CreateWmsTask = (t: { task_no: string; warehouse: string; destination: string; lines: Array<{ sku: string; quantity: number; batch?: string | undefined }> }) => Promise<{ task_no: string; status: string }>;

export interface DispatchDeps {
  db: Db;
  orders: OrderService;
  stock: StockService;
  log: Logger;
  /** null: no WMS configured here; the task is recorded as not sent. */
  createWmsTask: CreateWmsTask | null;
  /** Publishes a command to an edge device (QoS 1); null: no MQTT client (the command is recorded as not sent). */
  publish: ((topic: string, payload: string) => Promise<void>) | null;
}

export type DispatchStatus = 'matched' | 'short' | 'over' | 'wrong_sku' | 'wrong_batch';

export interface DispatchLine {
  gtin: string;
  batch: string | null;
  allocated_units: number;
  scanned_units: number;
  scanned_cases: number;
  status: DispatchStatus;
}

export interface Allocated {
  gtin: string;
  batch: string;
  quantity: number;
}

export interface Scanned {
  gtin: string | null;
  batch: string | null;
  units: number;
  cases: number;
}

/**
 * Compares what the dispatch line scanned with what was allocated, per GTIN and batch: an allocated batch is matched,
 * short or over; a scanned batch of an ordered GTIN that was not allocated is a wrong batch; a GTIN not on the order
 * (or a code whose GTIN is unknown) is a wrong SKU. Discrepancies are every line that is not matched.
 */
export function compareDispatch(allocated: readonly Allocated[], scanned: readonly Scanned[]): { lines: DispatchLine[]; discrepancies: DispatchLine[] } {
  const key = (g: string | null, b: string | null) => `${g ?? '?'}|${b ?? '?'}`;
  const want = new Map<string, Allocated>();
  for (const a of allocated) {
    const k = key(a.gtin, a.batch);
    const prev = want.get(k);
    want.set(k, prev ? { ...prev, quantity: prev.quantity + a.quantity } : { ...a });
  }
  const got = new Map<string, Scanned>();
  for (const s of scanned) {
    const k = key(s.gtin, s.batch);
    const prev = got.get(k);
    got.set(k, prev ? { ...prev, units: prev.units + s.units, cases: prev.cases + s.cases } : { ...s });
  }
  const orderedGtins = new Set(allocated.map((a) => a.gtin));
  const lines: DispatchLine[] = [];
  for (const [k, a] of want) {
    const s = got.get(k);
    const units = s?.units ?? 0;
    lines.push({ gtin: a.gtin, batch: a.batch, allocated_units: a.quantity, scanned_units: units, scanned_cases: s?.cases ?? 0, status: units === a.quantity ? 'matched' : units < a.quantity ? 'short' : 'over' });
  }
  for (const [k, s] of got) {
    if (want.has(k)) continue;
    lines.push({ gtin: s.gtin ?? 'unknown', batch: s.batch, allocated_units: 0, scanned_units: s.units, scanned_cases: s.cases, status: s.gtin !== null && orderedGtins.has(s.gtin) ? 'wrong_batch' : 'wrong_sku' });
  }
  lines.sort((x, y) => (x.gtin < y.gtin ? -1 : x.gtin > y.gtin ? 1 : (x.batch ?? '') < (y.batch ?? '') ? -1 : 1));
  return { lines, discrepancies: lines.filter((l) => l.status !== 'matched') };
}

const day = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v));
const RECEIVING: Actor = { name: 'receiving-scan', role: 'system', partyId: null };

/**
 * Dispatch of an allocated order: the dispatch task (WMS task per source warehouse, the trace core's dispatch binding,
 * `set_order` to the source site's edge agents), the dispatch view (scanned cases against the allocations), the
 * confirmation (reservations → in transit at the buyer), receiving (in transit → on hand at the buyer) and closing.
 */
export function createDispatchService(deps: DispatchDeps) {
  const { db, orders, stock, log } = deps;

  async function visible(id: string, actor: Actor) {
    const o = await orders.get(id, actor);
    if (!o) throw new OrderError('ORDER_NOT_FOUND', `order ${id} was not found`);
    return o;
  }
  const seller = (actor: Actor, o: { seller_id: string | null }) => actor.role === 'hq' || actor.role === 'system' || (actor.partyId !== null && actor.partyId === o.seller_id);
  const mustSell = (actor: Actor, o: { seller_id: string | null }, what: string) => {
    if (!seller(actor, o)) throw new OrderError('ORDER_FORBIDDEN', `only HQ or the selling party ${what}`);
  };

  async function allocationsOf(id: string, states: Array<'reserved' | 'dispatched'>) {
    return db
      .selectFrom('order_allocations as a')
      .innerJoin('skus', 'skus.id', 'a.sku_id')
      .innerJoin('parties as l', 'l.id', 'a.location_id')
      .select(['a.id', 'a.line_no', 'a.sku_id', 'a.location_id', 'a.batch', 'a.expiry_date', 'a.quantity', 'a.reservation_key', 'skus.gtin', 'l.code as location_code', 'l.kind as location_kind'])
      .where('a.order_id', '=', id)
      .where('a.state', 'in', states)
      .orderBy('a.id')
      .execute();
  }

  /** Edge agents of the sites the order is picked at (or the one named), to receive `set_order`. */
  async function lineAgents(locationIds: string[], deviceCode: string | undefined) {
    if (locationIds.length === 0) return [];
    let q = db
      .selectFrom('devices')
      .innerJoin('parties', 'parties.id', 'devices.site_id')
      .select(['devices.code', 'parties.code as site_code'])
      .where('devices.site_id', 'in', locationIds)
      .where('devices.kind', '=', 'edge-agent')
      .where('devices.status', '=', 'active');
    if (deviceCode) q = q.where('devices.code', '=', deviceCode);
    const rows = await q.orderBy('devices.code').execute();
    if (deviceCode && rows.length === 0) throw invalidOrder('body.device', `${deviceCode} is no active edge agent at a site this order is picked at`);
    return rows.map((r) => ({ device: r.code, site: r.site_code }));
  }

  async function sendSetOrder(id: string, agents: Array<{ device: string; site: string }>, line: string) {
    const sent: Array<{ device: string; site: string; sent: boolean; error?: string }> = [];
    for (const a of agents) {
      if (!deps.publish) {
        sent.push({ ...a, sent: false, error: 'no MQTT client' });
        continue;
      }
      const msg = { v: 1, id: newSourceId(), ts: new Date().toISOString(), command: 'set_order', args: { line, orderId: id } };
      try {
        await deps.publish(`cradle/v1/${a.site}/${a.device}/command`, JSON.stringify(msg));
        sent.push({ ...a, sent: true });
      } catch (err) {
        log.warn({ err, order: id, device: a.device }, 'set_order could not be published');
        sent.push({ ...a, sent: false, error: (err as Error).message });
      }
    }
    return sent;
  }

  /** The scanned cases of an order compared with its allocations, and how many its buyer has scanned in. */
  async function compare(o: { id: string; buyer_id: string }) {
    const [allocs, units] = await Promise.all([allocationsOf(o.id, ['reserved', 'dispatched']), shippedUnitsOfOrder(db, o.id)]);
    const gtins = [...new Set(units.map((u) => u.gtin).filter((g): g is string => g !== null))];
    const skus = gtins.length ? await db.selectFrom('skus').select(['gtin', 'units_per_case']).where('gtin', 'in', gtins).execute() : [];
    const perCase = new Map(skus.map((s) => [s.gtin.trim(), s.units_per_case]));
    const scanned: Scanned[] = units.map((u) => {
      const known = u.gtin !== null && perCase.has(u.gtin);
      return { gtin: known ? u.gtin : u.gtin, batch: u.batch, units: u.kind === 'case' ? Math.max(1, perCase.get(u.gtin ?? '') ?? (u.items || 1)) : 1, cases: u.kind === 'case' ? 1 : 0 };
    });
    const cmp = compareDispatch(allocs.map((a) => ({ gtin: a.gtin.trim(), batch: a.batch, quantity: a.quantity })), scanned);
    const received = units.filter((u) => (u.state === 'received' && u.holder_id === o.buyer_id) || u.state === 'sold');
    return { ...cmp, units, allocs, received };
  }

  /** Moves a dispatched order to delivered once every case shipped on it was scanned in by its buyer. */
  async function syncReceiving(id: string): Promise<boolean> {
    const o = await db.selectFrom('orders').select(['id', 'buyer_id', 'state']).where('id', '=', id).executeTakeFirst();
    if (o?.state !== 'dispatched') return false;
    const units = await shippedUnitsOfOrder(db, id);
    if (units.length === 0 || !units.every((u) => (u.state === 'received' && u.holder_id === o.buyer_id) || u.state === 'sold')) return false;
    try {
      await receive(id, RECEIVING, `the buyer scanned in all ${units.length} cases`);
      return true;
    } catch (err) {
      if (err instanceof OrderError && err.code === 'ORDER_BAD_TRANSITION') return false; // received meanwhile
      throw err;
    }
  }

  async function view(id: string, actor: Actor) {
    let o = await visible(id, actor);
    if (o.state === 'dispatched' && (await syncReceiving(id))) o = await visible(id, actor);
    const c = await compare(o);
    const task = (await orders.history(id)).filter((e) => e.to_state === 'picking').pop();
    return {
      order_id: o.id,
      number: o.number,
      state: o.state,
      matches: c.discrepancies.length === 0 && c.units.length > 0,
      lines: c.lines,
      discrepancies: c.discrepancies,
      cases_scanned: c.units.filter((u) => u.kind === 'case').length,
      loose_units_scanned: c.units.filter((u) => u.kind === 'item').length,
      received_by_buyer: c.received.length,
      units: c.units.map((u) => ({ epc: u.epc, kind: u.kind, gtin: u.gtin, batch: u.batch, items: u.items, state: u.state, last_event_at: u.last_event_at })),
      dispatch_task: task ? { at: task.at, actor: task.actor, detail: task.detail } : null,
    };
  }

  /**
   * allocated → picking: binds the order to its buyer in the trace core (so shipping scans tie the cases to it),
   * creates a WMS task per source warehouse (batches as allocated) and, after the commit, sends `set_order` to the
   * source sites' edge agents (or the one named). Again while picking: the command is sent again, nothing else.
   */
  async function createTask(id: string, actor: Actor, opts: { device?: string | undefined; line?: string | undefined }) {
    const line = opts.line ?? 'default';
    const current = await visible(id, actor);
    mustSell(actor, current, 'starts the dispatch');
    if (current.state === 'picking') {
      const allocs = await allocationsOf(id, ['reserved']);
      const commands = await sendSetOrder(id, await lineAgents([...new Set(allocs.map((a) => a.location_id))], opts.device), line);
      return { order: current, commands, wms_tasks: [], resent: true };
    }
    let commands: Awaited<ReturnType<typeof sendSetOrder>> = [];
    let wmsTasks: Array<Record<string, unknown>> = [];
    const order = await orders.change(
      id,
      actor,
      'picking',
      async (o) => {
        mustSell(actor, o, 'starts the dispatch');
        const allocs = await allocationsOf(id, ['reserved']);
        if (allocs.length === 0) throw new OrderError('ORDER_BAD_TRANSITION', 'nothing is reserved for this order: allocate it first', 'state');
        const sites = [...new Map(allocs.map((a) => [a.location_id, { id: a.location_id, code: a.location_code, kind: a.location_kind }])).values()];
        const agents = await lineAgents(sites.map((s) => s.id), opts.device);
        const buyer = await db.selectFrom('parties').select(['code']).where('id', '=', o.buyer_id).executeTakeFirstOrThrow();
        const warehouses = sites.filter((s) => s.kind === 'warehouse' || s.kind === 'factory');
        try {
          await bindDispatchOrder(db, { orderId: id, destinationId: o.buyer_id, sourceSiteId: warehouses.length === 1 ? warehouses[0]!.id : null, by: actor.name });
        } catch (err) {
          if (err instanceof DispatchBindingError) throw new OrderError('ORDER_BAD_TRANSITION', `the trace core refused the dispatch binding: ${err.message}`, 'state');
          throw err;
        }
        const tasks: Array<Record<string, unknown>> = [];
        for (const s of sites.filter((x) => x.kind === 'warehouse')) {
          const taskNo = `ORD-${Number(o.number)}-${s.code}`;
          if (!deps.createWmsTask) {
            tasks.push({ task_no: taskNo, warehouse: s.code, warehouse_id: s.id, status: 'not_sent', reason: 'no WMS connector is configured' });
            continue;
          }
          try {
            const t = await deps.createWmsTask({ task_no: taskNo, warehouse: s.code, destination: buyer.code, lines: allocs.filter((a) => a.location_id === s.id).map((a) => ({ sku: a.gtin.trim(), batch: a.batch, quantity: a.quantity })) });
            tasks.push({ task_no: t.task_no, warehouse: s.code, warehouse_id: s.id, status: t.status });
          } catch (err) {
            // The line can still dispatch on scans; the task is retried by asking for the dispatch task again.
            log.warn({ err, order: id, warehouse: s.code }, 'WMS dispatch task refused');
            tasks.push({ task_no: taskNo, warehouse: s.code, warehouse_id: s.id, status: 'refused', reason: (err as Error).message });
          }
        }
        return { agents, tasks };
      },
      async (_trx, o, ctx, events) => {
        events.push({ from: o.state, to: 'picking', actor: actor.name, reason: 'dispatch task', detail: { wms_tasks: ctx.tasks, line, devices: ctx.agents.map((a) => a.device) } });
        return { state: 'picking' };
      },
      async (_o, ctx) => {
        wmsTasks = ctx.tasks;
        commands = await sendSetOrder(id, ctx.agents, line);
      },
    );
    return { order, commands, wms_tasks: wmsTasks, resent: false };
  }

  /**
   * picking → dispatched when the scans match the allocations; otherwise 409 with the discrepancies, unless HQ
   * overrides with a reason. The reservations leave the source (on hand and reserved down) and go in transit to the buyer.
   */
  async function confirm(id: string, actor: Actor, overrideReason: string | undefined) {
    return orders.change(
      id,
      actor,
      'dispatched',
      async (o) => {
        mustSell(actor, o, 'dispatches');
        const c = await compare(o);
        // Warehouses whose WMS took the task: its PICK movements take the goods out and its confirmation puts them in
        // transit, so the dispatch here only consumes the reservation there (no double counting).
        const picking = (await orders.history(id)).filter((e) => e.to_state === 'picking').pop();
        const tasks = ((picking?.detail as { wms_tasks?: Array<{ warehouse_id?: string; status?: string }> } | null)?.wms_tasks ?? []);
        const wmsSites = new Set(tasks.filter((t) => t.warehouse_id && t.status !== 'not_sent' && t.status !== 'refused').map((t) => t.warehouse_id!));
        if (c.discrepancies.length > 0 || c.units.length === 0) {
          if (actor.role !== 'hq' || !overrideReason) {
            throw new OrderError('ORDER_DISPATCH_MISMATCH', `the scanned cases do not match the order (${c.discrepancies.map((d) => `${d.status} ${d.gtin}/${d.batch ?? '-'}`).join(', ')}): fix the load, or HQ may override with a reason`, 'state', { discrepancies: c.discrepancies });
          }
        }
        return { ...c, wmsSites };
      },
      async (trx, o, c, events, at) => {
        const held = await trx.selectFrom('order_allocations').selectAll().where('order_id', '=', id).where('state', '=', 'reserved').orderBy('id').forUpdate().execute();
        await stock.applyOrderStockChanges(
          trx,
          held.flatMap((a) => {
            const base = { reason: 'dispatch' as const, skuId: a.sku_id, batch: a.batch, expiryDate: day(a.expiry_date), reference: `order:${id}` };
            if (c.wmsSites.has(a.location_id)) return [{ ...base, idempotencyKey: `${a.reservation_key}:dispatch`, locationId: a.location_id, onHand: 0, reserved: -a.quantity }];
            return [
              { ...base, idempotencyKey: `${a.reservation_key}:dispatch`, locationId: a.location_id, onHand: -a.quantity, reserved: -a.quantity },
              { ...base, idempotencyKey: `${a.reservation_key}:in-transit`, locationId: o.buyer_id, onHand: 0, reserved: 0, inTransit: a.quantity },
            ];
          }),
          at,
        );
        if (held.length > 0) await trx.updateTable('order_allocations').set({ state: 'dispatched' }).where('order_id', '=', id).where('state', '=', 'reserved').execute();
        const perLine = new Map<number, number>();
        for (const a of held) perLine.set(a.line_no, (perLine.get(a.line_no) ?? 0) + a.quantity);
        for (const [lineNo, n] of perLine) await trx.updateTable('order_lines').set({ dispatched: n }).where('order_id', '=', id).where('line_no', '=', lineNo).execute();
        const override = c.discrepancies.length > 0 || c.units.length === 0 ? { reason: overrideReason, discrepancies: c.discrepancies } : null;
        events.push({
          from: o.state, to: 'dispatched', actor: actor.name, reason: overrideReason ?? 'scanned quantities match the order',
          detail: { cases: c.units.filter((u) => u.kind === 'case').length, units: held.reduce((s, a) => s + a.quantity, 0), ...(override ? { override } : {}) },
        });
        return { state: 'dispatched' };
      },
    );
  }

  /** dispatched → delivered (the buyer, HQ, or the buyer's receiving scans): in transit becomes on hand at the buyer. */
  async function receive(id: string, actor: Actor, why: string | undefined) {
    return orders.change(
      id,
      actor,
      'delivered',
      async (o) => {
        if (actor.role !== 'hq' && actor.role !== 'system' && actor.partyId !== o.buyer_id) throw new OrderError('ORDER_FORBIDDEN', 'only the buyer (or HQ) receives an order');
      },
      async (trx, o, _ctx, events, at) => {
        const shipped = await trx.selectFrom('order_allocations').selectAll().where('order_id', '=', id).where('state', '=', 'dispatched').orderBy('id').execute();
        await stock.applyOrderStockChanges(
          trx,
          shipped.map((a) => ({ idempotencyKey: `${a.reservation_key}:receipt`, reason: 'receipt' as const, skuId: a.sku_id, locationId: o.buyer_id, batch: a.batch, expiryDate: day(a.expiry_date), onHand: a.quantity, reserved: 0, inTransit: -a.quantity, reference: `order:${id}` })),
          at,
        );
        await trx.updateTable('order_lines').set((eb) => ({ received: eb.ref('dispatched') })).where('order_id', '=', id).execute();
        // Delivered goods are invoiced: the order leaves the open orders (the ERP's unpaid invoices take over).
        await addOpenOrders(trx, o.buyer_id, -Number(o.exposure));
        events.push({ from: o.state, to: 'delivered', actor: actor.name, reason: why ?? 'received', detail: { units: shipped.reduce((s, a) => s + a.quantity, 0) } });
        return { state: 'delivered', exposure: 0 };
      },
    );
  }

  async function close(id: string, actor: Actor, reason: string | undefined) {
    return orders.change(
      id,
      actor,
      'closed',
      async (o) => mustSell(actor, o, 'closes the order'),
      async (_trx, o, _ctx, events) => {
        events.push({ from: o.state, to: 'closed', actor: actor.name, reason: reason ?? 'closed', detail: null });
        return { state: 'closed' };
      },
    );
  }

  /** Every few minutes: dispatched orders whose cases the buyer has all scanned in become delivered. */
  const receivingJob = defineJob({
    name: 'orders-receiving-scans',
    schema: z.object({}),
    schedule: { everyMs: 60_000, payload: {} },
    handler: async () => {
      const open = await db.selectFrom('orders').select('id').where('state', '=', 'dispatched').orderBy('updated_at').limit(500).execute();
      let delivered = 0;
      for (const o of open) if (await syncReceiving(o.id)) delivered++;
      return { checked: open.length, delivered };
    },
  });

  return { view, createTask, confirm, receive, close, syncReceiving, receivingJob };
}

export type DispatchService = ReturnType<typeof createDispatchService>;
