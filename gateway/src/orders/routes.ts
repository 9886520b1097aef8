import crypto from 'node:crypto';
import { isValidGtin } from '@cradle/protocol';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute, type Principal } from '../platform/http/route';
import { code, paging, regionCode, text, uuidParam } from '../platform/http/schemas';
import { StockError } from '../stock/errors';
import type { CreditService } from './credit';
import { exportOrdersCsv, listOrders } from './list';
import { type Actor, ORDER_STATES, OrderError, type OrderState } from './model';
import type { OrderReferences } from './references';
import type { OrderService } from './service';
import { ORDER_WEBHOOK_EVENTS, type OrderNotifier } from './webhooks';

const read = { roles: ['hq', 'dealer', 'store'], scope: 'orders:read' } as const;
const write = { roles: ['hq', 'dealer', 'store'], scope: 'orders:write' } as const;
const approve = { roles: ['hq', 'dealer'], scope: 'orders:approve' } as const;
const creditRead = { roles: ['hq', 'dealer', 'store'], scope: 'credit:read' } as const;
const hqSettings = { roles: ['hq'], scope: 'credit:write' } as const;

const gtin = z.string().regex(/^\d{14}$/, 'must be a GTIN-14 (14 digits)').refine((g) => isValidGtin(g), 'has a wrong GS1 check digit');
const idempotencyKey = z.string().regex(/^[\x21-\x7e]{8,200}$/, 'must be 8–200 printable ASCII characters without spaces');
const money = z.number().min(0).max(1e11).multipleOf(0.01, 'must have at most two decimals');

/** Prices a client sends are accepted as fields and ignored: the server prices every line. */
const CLIENT_PRICE_FIELDS = ['unit_price', 'price', 'line_total'] as const;
const lineBody = z.strictObject({
  gtin,
  quantity: z.number().int('must be a whole number').positive('must be more than zero').max(1_000_000),
  unit_price: z.unknown().optional(),
  price: z.unknown().optional(),
  line_total: z.unknown().optional(),
});
const placeBody = z.strictObject({
  idempotency_key: idempotencyKey.optional(),
  buyer_id: z.uuid('must be a UUID').optional(),
  delivery: z.strictObject({ region_code: regionCode, address: text(300) }),
  lines: z.array(lineBody).min(1, 'must hold at least one line').max(200),
  note: text(500).optional(),
  submit: z.boolean().default(true),
  total: z.unknown().optional(),
});

const lineSchema = z.object({
  line_no: z.number(), gtin: z.string(), sku_id: z.string(), name: z.string(), quantity: z.number(), free_quantity: z.number(), unit_price: z.number(), line_total: z.number(),
  promotion_code: z.string().nullable(), allocated: z.number(), back_ordered: z.number(), dispatched: z.number(), received: z.number(), transfer_options: z.string().nullable(),
});
const orderSchema = z.object({
  id: z.string(), number: z.number(), state: z.enum(ORDER_STATES as [OrderState, ...OrderState[]]), buyer_id: z.string(), buyer_code: z.string(), seller_id: z.string().nullable(),
  price_level: z.string(), price_region_code: z.string(), priced_on: z.string(), price_rules_from: z.string(), currency: z.string(), total: z.number(),
  delivery_region_code: z.string(), delivery_address: z.string(), hold_reasons: z.array(z.string()), hold_detail: z.record(z.string(), z.unknown()).nullable(), note: z.string().nullable(),
  idempotency_key: z.string(), created_by: z.string(), created_at: z.date(), updated_at: z.date(), lines: z.array(lineSchema),
});

const listQuery = z.strictObject({
  state: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(ORDER_STATES as [OrderState, ...OrderState[]])))
    .optional(),
  buyer_id: z.uuid().optional(),
  seller_id: z.uuid().optional(),
  created_from: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
  created_to: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
  gtin: z.string().regex(/^\d{14}$/, 'must be a GTIN-14').optional(),
  held_for: z.enum(['credit', 'region']).optional(),
});

export const actorOf = (p: Principal): Actor => ({ name: p.name, role: p.role, partyId: p.partyId });

/** Maps ordering's domain errors to problems: bad input 400, not yours 403/404, rule and state conflicts 409. */
export function orderProblem(err: unknown): unknown {
  if (err instanceof StockError) return new HttpProblem('conflict', err.message);
  if (!(err instanceof OrderError)) return err;
  const errors = err.field ? [{ field: err.field, message: err.message }] : undefined;
  const extra = { code: err.code, ...(errors ? { errors } : {}), ...err.extra };
  switch (err.code) {
    case 'ORDER_INVALID':
      return new HttpProblem('validation-failed', err.message, extra);
    case 'ORDER_NOT_FOUND':
      return new HttpProblem('not-found', err.message, { code: err.code });
    case 'ORDER_FORBIDDEN':
      return new HttpProblem('forbidden', err.message, extra);
    default:
      return new HttpProblem('conflict', err.message, extra);
  }
}

const mapped = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (err) {
    throw orderProblem(err);
  }
};

export interface OrderRoutesDeps {
  db: Db;
  orders: OrderService;
  credit: CreditService;
  refs: OrderReferences;
  notifier: OrderNotifier;
}

export function orderRoutes({ db, orders, credit, refs, notifier }: OrderRoutesDeps): AnyRoute[] {
  const filterOf = (q: z.output<typeof listQuery>, p: Principal) => ({
    states: q.state, buyerId: q.buyer_id, sellerId: q.seller_id, createdFrom: q.created_from, createdTo: q.created_to, gtin: q.gtin, heldFor: q.held_for,
    visibleTo: p.role === 'hq' ? null : (p.partyId ?? '00000000-0000-0000-0000-000000000000'),
  });
  const visibleOrder = async (id: string, p: Principal) => {
    const o = await orders.get(id, actorOf(p));
    if (!o) throw notFound(`Order ${id}`);
    return o;
  };
  /** A party whose credit the caller may see: HQ any; a dealer itself and the buyers that order from it; a store itself. */
  const creditParty = async (id: string, p: Principal) => {
    const party = await refs.party(id);
    if (!party || !['dealer', 'store'].includes(party.kind)) throw notFound(`Dealer or store ${id}`);
    if (p.role !== 'hq' && party.id !== p.partyId && party.parentId !== p.partyId) throw notFound(`Dealer or store ${id}`);
    return party;
  };

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/orders',
      summary: 'Place an order (idempotent per buyer on the Idempotency-Key header or idempotency_key); the server prices every line, client prices are ignored',
      tags: ['orders'],
      access: write,
      body: placeBody,
      response: orderSchema.extend({ replayed: z.boolean(), ignored_fields: z.array(z.string()) }),
      status: 201,
      async handler({ body, principal, req, res }) {
        const header = req.get('idempotency-key');
        const key = body.idempotency_key ?? header;
        if (!key) throw invalid('body.idempotency_key', 'send an idempotency key (the Idempotency-Key header or idempotency_key) so a retry cannot order twice');
        if (header && body.idempotency_key && header !== body.idempotency_key) throw invalid('body.idempotency_key', 'differs from the Idempotency-Key header');
        const parsedKey = idempotencyKey.safeParse(key);
        if (!parsedKey.success) throw invalid('headers.idempotency-key', parsedKey.error.issues[0]!.message);
        const buyerId = body.buyer_id ?? principal.partyId;
        if (!buyerId) throw invalid('body.buyer_id', 'HQ names the buyer it orders for');
        const ignored = [
          ...(body.total !== undefined ? ['total'] : []),
          ...body.lines.flatMap((l, i) => CLIENT_PRICE_FIELDS.filter((f) => l[f] !== undefined).map((f) => `lines.${i}.${f}`)),
        ];
        const r = await mapped(() =>
          orders.place(
            { idempotencyKey: key, buyerId, deliveryRegionCode: body.delivery.region_code, deliveryAddress: body.delivery.address, lines: body.lines.map((l) => ({ gtin: l.gtin, quantity: l.quantity })), note: body.note, submit: body.submit },
            actorOf(principal),
          ),
        );
        const payload = { ...r.order, replayed: r.replayed, ignored_fields: ignored };
        // A replay is not a creation: 200 with the order placed the first time.
        if (r.replayed) {
          res.status(200).json(payload);
          return undefined;
        }
        return payload;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/orders',
      summary: 'List orders, newest first (dealers and stores: those they placed or that were placed with them)',
      tags: ['orders'],
      access: read,
      query: listQuery.extend(paging),
      handler: ({ query, principal }) => listOrders(db, filterOf(query, principal), query),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/orders/export.csv',
      summary: 'The same filters as the list, as CSV with one row per order line (at most 50,000 rows)',
      tags: ['orders'],
      access: read,
      query: listQuery,
      produces: ['text/csv'],
      async handler({ query, principal, res }) {
        const csv = await exportOrdersCsv(db, filterOf(query, principal));
        res.status(200).type('text/csv; charset=utf-8').set('content-disposition', 'attachment; filename="orders.csv"').send(csv);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/orders/:id',
      summary: 'One order with its lines, allocations (location, batch) and state history',
      tags: ['orders'],
      access: read,
      params: uuidParam,
      async handler({ params, principal }) {
        const o = await visibleOrder(params.id, principal);
        const [allocations, history] = await Promise.all([orders.allocations(params.id), orders.history(params.id)]);
        return { ...o, allocations, history };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/submit',
      summary: 'Submit a draft: credit and region checks, then approval and allocation, or a hold',
      tags: ['orders'],
      access: write,
      params: uuidParam,
      handler: ({ params, principal }) => mapped(() => orders.submit(params.id, actorOf(principal))),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/approve',
      summary: 'Approve a held order (HQ; the supplying dealer for credit holds within the limit); over the limit HQ overrides with a reason',
      tags: ['orders'],
      access: approve,
      params: uuidParam,
      body: z.strictObject({ override_reason: text(500).optional() }),
      handler: ({ params, body, principal }) => mapped(() => orders.approve(params.id, actorOf(principal), body.override_reason)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/allocate',
      summary: 'Reserve back-ordered units now that stock is there',
      tags: ['orders'],
      access: approve,
      params: uuidParam,
      handler: ({ params, principal }) => mapped(() => orders.allocate(params.id, actorOf(principal))),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/cancel',
      summary: 'Cancel an order not yet dispatched; its reservations are released',
      tags: ['orders'],
      access: write,
      params: uuidParam,
      body: z.strictObject({ reason: text(500) }),
      handler: ({ params, body, principal }) => mapped(() => orders.cancel(params.id, actorOf(principal), body.reason)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/credit/:id',
      summary: 'A dealer’s or store’s credit: limit, unpaid invoices, open orders, exposure and what is left',
      tags: ['orders'],
      access: creditRead,
      params: uuidParam,
      handler: async ({ params, principal }) => credit.view(await creditParty(params.id, principal)),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/credit/:id',
      summary: 'Set a credit limit (HQ); null removes the credit line (prepaid, not checked)',
      tags: ['orders'],
      access: hqSettings,
      params: uuidParam,
      body: z.strictObject({ credit_limit: money.nullable(), reason: text(500) }),
      handler: async ({ params, body, principal }) => credit.setLimit(await creditParty(params.id, principal), body.credit_limit, body.reason, principal.name),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/credit/:id/unpaid-invoices',
      summary: 'Record the ERP’s total of unpaid invoices as of a time (the ERP connector or HQ); an older report is ignored',
      tags: ['orders'],
      access: hqSettings,
      params: uuidParam,
      body: z.strictObject({ amount: money, as_of: z.iso.datetime({ offset: true }).transform((s) => new Date(s)) }),
      handler: async ({ params, body, principal }) => credit.setUnpaidInvoices(await creditParty(params.id, principal), body.amount, body.as_of, principal.name),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/order-settings/serving-warehouses/:id',
      summary: 'Set the warehouse that serves a first-tier dealer first (HQ); others follow by distance',
      tags: ['orders'],
      access: hqSettings,
      params: uuidParam,
      body: z.strictObject({ warehouse: code }),
      async handler({ params, body, principal }) {
        const buyer = await refs.party(params.id);
        if (!buyer || buyer.kind !== 'dealer' || buyer.tier !== 1) throw notFound(`First-tier dealer ${params.id}`);
        const wh = (await refs.warehouses()).find((w) => w.code === body.warehouse);
        if (!wh) throw invalid('body.warehouse', `no warehouse has code ${body.warehouse}`);
        await db
          .insertInto('order_serving_warehouses')
          .values({ buyer_id: buyer.id, warehouse_id: wh.id, updated_by: principal.name })
          .onConflict((oc) => oc.column('buyer_id').doUpdateSet({ warehouse_id: wh.id, updated_by: principal.name, updated_at: new Date() }))
          .execute();
        refs.forget();
        return { buyer_id: buyer.id, warehouse: wh.code, warehouse_id: wh.id };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/order-settings/expiry-rules/:level/:category',
      summary: 'The shortest shelf life a customer level accepts for a category, in days (HQ)',
      tags: ['orders'],
      access: hqSettings,
      params: z.object({ level: z.enum(['first_tier', 'second_tier', 'store']), category: z.enum(['formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags']) }),
      body: z.strictObject({ min_days_left: z.number().int().min(0).max(3650) }),
      async handler({ params, body, principal }) {
        await db
          .insertInto('order_expiry_rules')
          .values({ price_level: params.level, category: params.category, min_days_left: body.min_days_left, updated_by: principal.name })
          .onConflict((oc) => oc.columns(['price_level', 'category']).doUpdateSet({ min_days_left: body.min_days_left, updated_by: principal.name, updated_at: new Date() }))
          .execute();
        refs.forget();
        return { price_level: params.level, category: params.category, min_days_left: body.min_days_left };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/order-promotions',
      summary: 'Add a promotion (HQ): buy `buy_quantity` of a SKU or category, get `free_quantity` free, for the given levels and days',
      tags: ['orders'],
      access: hqSettings,
      body: z
        .strictObject({
          code,
          name: text(200),
          gtin: gtin.optional(),
          category: z.enum(['formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags']).optional(),
          buy_quantity: z.number().int().min(1).max(10_000),
          free_quantity: z.number().int().min(1).max(10_000),
          price_levels: z.array(z.enum(['first_tier', 'second_tier', 'store'])).min(1),
          valid_from: z.iso.date(),
          valid_to: z.iso.date().nullable().optional(),
        })
        .refine((b) => (b.gtin === undefined) !== (b.category === undefined), { message: 'name either a gtin or a category', path: ['gtin'] }),
      status: 201,
      async handler({ body, principal }) {
        const sku = body.gtin ? await refs.skuByGtin(body.gtin) : undefined;
        if (body.gtin && !sku) throw invalid('body.gtin', `no SKU has GTIN ${body.gtin}`);
        if (body.valid_to && body.valid_to < body.valid_from) throw invalid('body.valid_to', 'must not be before valid_from');
        const taken = await db.selectFrom('order_promotions').select('id').where('code', '=', body.code).executeTakeFirst();
        if (taken) throw new HttpProblem('conflict', `promotion ${body.code} exists`, { errors: [{ field: 'body.code', message: 'already exists' }] });
        const row = await db
          .insertInto('order_promotions')
          .values({ code: body.code, name: body.name, sku_id: sku?.id ?? null, category: body.category ?? null, buy_quantity: body.buy_quantity, free_quantity: body.free_quantity, price_levels: body.price_levels, valid_from: body.valid_from, valid_to: body.valid_to ?? null, created_by: principal.name })
          .returningAll()
          .executeTakeFirstOrThrow();
        refs.forget();
        return { ...row, id: Number(row.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/order-promotions',
      summary: 'Promotions',
      tags: ['orders'],
      access: read,
      handler: async () => ({ items: (await db.selectFrom('order_promotions').selectAll().orderBy('id').execute()).map((r) => ({ ...r, id: Number(r.id) })) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/order-webhooks',
      summary: 'Subscribe a URL to order confirmations and status changes (HQ: every order; a dealer or store: its own). The secret signs each delivery (X-Cradle-Signature) and is shown once',
      tags: ['orders'],
      access: write,
      body: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(500), events: z.array(z.enum(ORDER_WEBHOOK_EVENTS)).min(1) }),
      status: 201,
      async handler({ body, principal }) {
        const secret = crypto.randomBytes(24).toString('base64url');
        const row = await db
          .insertInto('order_webhooks')
          .values({ party_id: principal.role === 'hq' ? null : principal.partyId, url: body.url, secret, events: [...new Set(body.events)], created_by: principal.name })
          .returning(['id', 'party_id', 'url', 'events', 'active', 'created_at'])
          .executeTakeFirstOrThrow();
        notifier.forget();
        return { ...row, secret };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/order-webhooks',
      summary: 'Your order webhooks and their last deliveries',
      tags: ['orders'],
      access: read,
      async handler({ principal }) {
        let q = db.selectFrom('order_webhooks').select(['id', 'party_id', 'url', 'events', 'active', 'created_at']);
        q = principal.role === 'hq' ? q.where('party_id', 'is', null) : q.where('party_id', '=', principal.partyId ?? '00000000-0000-0000-0000-000000000000');
        const hooks = await q.orderBy('created_at').execute();
        const deliveries = hooks.length
          ? await db.selectFrom('order_webhook_deliveries').selectAll().where('webhook_id', 'in', hooks.map((h) => h.id)).orderBy('event_id', 'desc').limit(200).execute()
          : [];
        return { items: hooks.map((h) => ({ ...h, deliveries: deliveries.filter((d) => d.webhook_id === h.id).slice(0, 20) })) };
      },
    }),
  ];
}
