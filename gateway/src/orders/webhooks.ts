import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { defineJob, type JobRunner } from '../platform/jobs';

export const ORDER_WEBHOOK_JOB = 'order-webhook';

/** What a subscriber can ask for: the confirmation of a placed order, and every change of state. */
export const ORDER_WEBHOOK_EVENTS = ['order.confirmed', 'order.status_changed'] as const;
export type OrderWebhookEvent = (typeof ORDER_WEBHOOK_EVENTS)[number];

/** `X-Cradle-Signature: sha256=<hex HMAC of the raw body with the webhook's secret>`, as the alert webhooks sign. */
export const signBody = (secret: string, body: string) => `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;

/** Delivers one order event to one webhook; a non-2xx answer fails the attempt and the runner retries with backoff. */
export const orderWebhookJob = (deps: { db: Db }) =>
  defineJob({
    name: ORDER_WEBHOOK_JOB,
    schema: z.object({ webhookId: z.string(), eventId: z.number().int(), event: z.enum(ORDER_WEBHOOK_EVENTS) }),
    attempts: 6,
    backoff: { type: 'exponential', delayMs: 2000, jitter: 0.2 },
    concurrency: 4,
    timeoutMs: 15_000,
    async handler({ webhookId, eventId, event }, ctx) {
      const { db } = deps;
      const hook = await db.selectFrom('order_webhooks').selectAll().where('id', '=', webhookId).executeTakeFirst();
      if (!hook?.active) return { skipped: 'webhook removed' };
      const e = await db.selectFrom('order_events').selectAll().where('id', '=', eventId).executeTakeFirst();
      if (!e) return { skipped: 'event missing' };
      const order = await db
        .selectFrom('orders')
        .select(['id', 'number', 'buyer_id', 'seller_id', 'state', 'total', 'currency', 'hold_reasons', 'delivery_region_code', 'created_at', 'updated_at'])
        .where('id', '=', e.order_id)
        .executeTakeFirstOrThrow();
      const body = JSON.stringify({ event, delivered_at: new Date().toISOString(), transition: { from: e.from_state, to: e.to_state, actor: e.actor, at: e.at, reason: e.reason }, order: { ...order, total: Number(order.total) } });
      await db.insertInto('order_webhook_deliveries').values({ event_id: eventId, webhook_id: webhookId, status: 'pending' }).onConflict((oc) => oc.columns(['event_id', 'webhook_id']).doNothing()).execute();
      let status = 0;
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-cradle-event': event, 'x-cradle-delivery': ctx.jobId, 'x-cradle-signature': signBody(hook.secret, body) },
          body,
          signal: ctx.signal,
        });
        status = res.status;
        if (!res.ok) throw new Error(`webhook ${hook.url} answered ${res.status}`);
      } catch (err) {
        await db
          .updateTable('order_webhook_deliveries')
          .set((eb) => ({ attempts: eb('attempts', '+', 1), last_status: status || null, last_error: err instanceof Error ? err.message : String(err), status: ctx.attempt >= 6 ? 'failed' : 'pending' }))
          .where('event_id', '=', eventId)
          .where('webhook_id', '=', webhookId)
          .execute();
        throw err;
      }
      await db
        .updateTable('order_webhook_deliveries')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_status: status, last_error: null, status: 'delivered', delivered_at: new Date() }))
        .where('event_id', '=', eventId)
        .where('webhook_id', '=', webhookId)
        .execute();
      return { status };
    },
  });

export interface NotifiableEvent {
  id: number;
  orderId: string;
  buyerId: string;
  sellerId: string | null;
  fromState: string | null;
  toState: string;
}

/**
 * Enqueues one delivery per active webhook that may see the order (HQ's, the buyer's, the seller's) and subscribes
 * to the event. The subscriptions are held for 5 s, so a busy gateway without webhooks pays nothing per order.
 */
export function createOrderNotifier(deps: { db: Db; jobs: Pick<JobRunner, 'enqueue'> }) {
  let cached: { at: number; hooks: Promise<Array<{ id: string; party_id: string | null; events: string[] }>> } | undefined;
  const hooks = () => {
    if (!cached || Date.now() - cached.at > 5000) {
      cached = { at: Date.now(), hooks: deps.db.selectFrom('order_webhooks').select(['id', 'party_id', 'events']).where('active', '=', true).execute() };
    }
    return cached.hooks;
  };
  return {
    forget: () => (cached = undefined),
    async notify(events: readonly NotifiableEvent[]): Promise<void> {
      if (events.length === 0) return;
      const list = await hooks();
      if (list.length === 0) return;
      for (const e of events) {
        // A placed order is confirmed when it first leaves draft; every transition is a status change.
        const kinds: OrderWebhookEvent[] = e.fromState === 'draft' ? ['order.confirmed', 'order.status_changed'] : ['order.status_changed'];
        for (const h of list) {
          if (h.party_id !== null && h.party_id !== e.buyerId && h.party_id !== e.sellerId) continue;
          for (const kind of kinds) {
            if (!h.events.includes(kind)) continue;
            await deps.jobs.enqueue(ORDER_WEBHOOK_JOB, { webhookId: h.id, eventId: e.id, event: kind }, { jobId: `order-${e.id}-${kind.replace('.', '_')}-${h.id}` });
          }
        }
      }
    },
  };
}

export type OrderNotifier = ReturnType<typeof createOrderNotifier>;
