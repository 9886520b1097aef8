import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../platform/db';
import type { AlertKind } from '../platform/db/schema';
import { defineJob, type JobRunner } from '../platform/jobs';
import type { AlertEvent } from './alerts';

export const WEBHOOK_JOB = 'alert-webhook';

/** `X-Cradle-Signature: sha256=<hex HMAC of the raw body with the webhook's secret>`, as GitHub's webhooks do. */
export function signBody(secret: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Delivers one alert event to one webhook; a non-2xx answer fails the attempt and the runner retries with backoff. */
export const alertWebhookJob = (deps: { db: Db }) =>
  defineJob({
    name: WEBHOOK_JOB,
    schema: z.object({ webhookId: z.string(), alertId: z.string(), event: z.string() }),
    attempts: 6,
    backoff: { type: 'exponential', delayMs: 2000, jitter: 0.2 },
    concurrency: 4,
    timeoutMs: 15_000,
    async handler({ webhookId, alertId, event }, ctx) {
      const hook = await deps.db.selectFrom('alert_webhooks').selectAll().where('id', '=', webhookId).executeTakeFirst();
      if (!hook?.active) return { skipped: 'webhook removed' };
      const alert = await deps.db.selectFrom('diversion_alerts').selectAll().where('id', '=', alertId).executeTakeFirst();
      if (!alert) return { skipped: 'alert missing' };
      const body = JSON.stringify({ event, delivered_at: new Date().toISOString(), alert });
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-cradle-event': event, 'x-cradle-delivery': ctx.jobId, 'x-cradle-signature': signBody(hook.secret, body) },
        body,
        signal: ctx.signal,
      });
      if (!res.ok) throw new Error(`webhook ${hook.url} answered ${res.status}`);
      return { status: res.status };
    },
  });

/** Enqueues one delivery per active webhook that subscribes to the alert's kind; the job id makes each delivery once. */
export function createAlertNotifier(deps: { db: Db; jobs: Pick<JobRunner, 'enqueue'> }) {
  return async (alertId: string, kind: AlertKind, event: AlertEvent) => {
    const hooks = await deps.db.selectFrom('alert_webhooks').select(['id', 'kinds']).where('active', '=', true).execute();
    for (const h of hooks) {
      if (!h.kinds.includes(kind)) continue;
      await deps.jobs.enqueue(WEBHOOK_JOB, { webhookId: h.id, alertId, event }, { jobId: `alert-${alertId}-${event}-${h.id}` });
    }
  };
}
