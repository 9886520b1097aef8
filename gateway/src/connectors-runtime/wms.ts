import { createWmsClient, wmsFieldPath, type DispatchConfirmation, movementSchema, parseWmsWebhook, type RejectedRecord, type StockRow } from '@cradle/connectors';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { conflict, HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { code } from '../platform/http/schemas';
import { defineJob, type JobDefinition, type JobRunner } from '../platform/jobs';
import type { ExternalMovement, ExternalSnapshot, StockService } from '../stock/service';
import { batchField, gtinField } from '../stock/schemas';
import { endpointGuardFor, secretValue, type WmsConfig } from './config';
import type { ConnectorState } from './state';
import { applyMovements, defineSyncJob, pullFeed } from './sync';

/** Names a field of the i-th good record in the WMS's own terms, at its place in what the WMS sent. */
const wmsPath = (prefix: string, indices?: number[]) => (i: number, field: string) => wmsFieldPath(prefix, indices?.[i] ?? i, field);

/**
 * The central WMS: movements and dispatch confirmations by polling and by webhook (both idempotent, so they can
 * overlap), periodic full snapshots per site reconciled against the ledger, and dispatch tasks pushed to it.
 */
export function createWmsConnector(deps: { cfg: WmsConfig; db: Db; stock: StockService; state: ConnectorState; jobs: JobRunner; env: NodeJS.ProcessEnv }) {
  const { cfg, db, stock, state } = deps;
  const id = cfg.id;
  const guard = endpointGuardFor(cfg);
  const client = createWmsClient({ baseUrl: cfg.baseUrl, token: secretValue(cfg.token, deps.env), guard, timeoutMs: cfg.breaker.timeoutMs });

  /** A confirmed dispatch puts the goods in transit to the destination (the WMS's own PICK movements take them out of the site). */
  async function applyConfirmations(list: readonly DispatchConfirmation[], pathOf: (i: number, f: string) => string) {
    const movements: ExternalMovement[] = [];
    const lineOf: number[] = [];
    list.forEach((c, i) =>
      c.lines.forEach((l, j) => {
        movements.push({
          idempotencyKey: `${id}:dispatch:${c.taskNo}:${j}`, source: id, reason: 'dispatch', gtin: l.gtin, batch: l.batch, expiryDate: l.expiryDate,
          locationCode: c.destination, inTransit: l.quantity, occurredAt: new Date(c.confirmedAt), reference: c.taskNo,
        });
        lineOf.push(i);
      }),
    );
    const outcomes = await stock.recordExternal(movements);
    const rejected: RejectedRecord[] = [];
    outcomes.forEach((o, k) => {
      const i = lineOf[k]!;
      if (o.status === 'rejected' || o.status === 'conflict') {
        const field = o.status === 'rejected' ? (o.field === 'location' ? 'destination' : `lines.${movements[k]!.idempotencyKey.split(':').pop()}.gtin`) : 'taskNo';
        rejected.push({ index: i, path: pathOf(i, field), message: o.status === 'rejected' ? o.message : 'delivered before with different content', raw: list[i], key: `${list[i]!.taskNo}:${k}` });
      }
    });
    const confirmed = list.map((c) => c.taskNo);
    if (confirmed.length) await db.updateTable('wms_dispatch_tasks').set({ status: 'confirmed', confirmed_at: new Date() }).where('task_no', 'in', confirmed).execute();
    return { rejected, lagSeconds: null };
  }

  async function snapshotSite(site: string) {
    const snap = await client.stockSnapshot(site);
    const rejected = [...snap.rejected];
    const rows: StockRow[] = [];
    for (const [i, r] of snap.good.entries()) {
      if (r.location !== site) rejected.push({ index: i, path: `items[${i}].site`, message: `row of site ${r.location} in the snapshot of ${site}`, raw: r, key: `${snap.asOf.toISOString()}#${i}` });
      else if (!(await stock.refs.skuByGtin(r.gtin))) rejected.push({ index: i, path: `items[${i}].sku`, message: `no SKU with GTIN ${r.gtin}`, raw: r, key: `${snap.asOf.toISOString()}#${i}` });
      else rows.push(r);
    }
    if (rejected.length) await state.deadLetter(id, 'snapshot', rejected);
    const input: ExternalSnapshot = {
      key: `${id}:${site}:${snap.asOf.toISOString()}`, source: id, asOf: snap.asOf, locationCodes: [site], partial: rejected.length > 0,
      rows: rows.map((r) => ({ gtin: r.gtin, batch: r.batch, expiryDate: r.expiryDate, locationCode: r.location, onHand: r.onHand, reserved: r.reserved, inTransit: r.inTransit })),
    };
    return stock.reconcile(input);
  }

  const pushTask = defineJob({
    name: `${id}.push-dispatch-task`,
    schema: z.object({ taskNo: z.string() }),
    attempts: cfg.retry.attempts,
    backoff: { type: 'exponential', delayMs: cfg.retry.delayMs, jitter: cfg.retry.jitter },
    handler: async ({ taskNo }) => {
      const t = await db.selectFrom('wms_dispatch_tasks as t').innerJoin('parties as w', 'w.id', 't.warehouse_id').innerJoin('parties as d', 'd.id', 't.destination_id')
        .select(['t.task_no', 't.lines', 'w.code as warehouse', 'd.code as destination']).where('t.task_no', '=', taskNo).executeTakeFirst();
      if (!t) return { skipped: 'unknown task' };
      try {
        await client.pushDispatchTask({ taskNo: t.task_no, warehouse: t.warehouse, destination: t.destination, lines: t.lines as never });
        await state.attempt({ connector: id, stream: 'dispatch-tasks', ok: true, items: 1 });
      } catch (err) {
        await state.attempt({ connector: id, stream: 'dispatch-tasks', ok: false, error: (err as Error).message });
        throw err;
      }
      await db.updateTable('wms_dispatch_tasks').set({ status: 'sent', sent_at: new Date() }).where('task_no', '=', taskNo).where('status', '=', 'pending').execute();
      return { pushed: taskNo };
    },
  });

  const jobs: JobDefinition<any>[] = [
    defineSyncJob({
      connector: id, stream: 'movements', state, everyMs: cfg.movementsEveryMs, retry: cfg.retry,
      run: async (ctx) => {
        const r = await pullFeed({
          connector: id, stream: 'movements', state, signal: ctx.signal,
          fetchPage: (after) => client.movements(after, cfg.pageSize, ctx.signal),
          apply: (good, indices) => applyMovements(stock, id, good, wmsPath('items', indices)),
        });
        return { items: r.items, lagSeconds: r.lagSeconds };
      },
    }),
    defineSyncJob({
      connector: id, stream: 'confirmations', state, everyMs: cfg.confirmationsEveryMs, retry: cfg.retry,
      run: async (ctx) => {
        const r = await pullFeed({
          connector: id, stream: 'confirmations', state, signal: ctx.signal,
          fetchPage: (after) => client.dispatchConfirmations(after, cfg.pageSize, ctx.signal),
          apply: (good, indices) => applyConfirmations(good, wmsPath('items', indices)),
        });
        return { items: r.items };
      },
    }),
    defineSyncJob({
      connector: id, stream: 'snapshot', state, everyMs: cfg.snapshotEveryMs, retry: cfg.retry,
      run: async () => {
        let items = 0;
        for (const site of cfg.sites) items += (await snapshotSite(site)).rows;
        return { items };
      },
    }),
    pushTask,
  ];

  /**
   * Creates a dispatch task (pick and load) and queues its push to the WMS; lines without a batch are picked
   * first-expiry-first-out. Idempotent by task number (the existing task is answered). The route and ordering call it.
   */
  async function createDispatchTask(body: { task_no: string; warehouse: string; destination: string; lines: Array<{ sku: string; quantity: number; batch?: string | undefined }> }) {
    const warehouse = await stock.refs.locationByCode(body.warehouse);
    if (!warehouse || warehouse.kind !== 'warehouse' || !cfg.sites.includes(body.warehouse)) throw invalid('body.warehouse', `${body.warehouse} is not a warehouse run by ${id}`);
    const destination = await stock.refs.locationByCode(body.destination);
    if (!destination) throw invalid('body.destination', `no dealer, store or warehouse with code ${body.destination}`);
    const existing = await db.selectFrom('wms_dispatch_tasks').select(['task_no', 'status', 'lines']).where('task_no', '=', body.task_no).executeTakeFirst();
    if (existing) return { task_no: existing.task_no, status: existing.status, lines: existing.lines };
    const lines = [];
    for (const [i, l] of body.lines.entries()) {
      const sku = await stock.refs.skuByGtin(l.sku);
      if (!sku) throw invalid(`body.lines.${i}.sku`, `no SKU with GTIN ${l.sku}`);
      if (l.batch) {
        const bal = await db.selectFrom('stock_balances').select(sql<string | null>`expiry_date::text`.as('expiry_date')).where('sku_id', '=', sku.id).where('location_id', '=', warehouse.id).where('batch', '=', l.batch).executeTakeFirst();
        if (!bal) throw invalid(`body.lines.${i}.batch`, `no batch ${l.batch} of this SKU at ${body.warehouse}`);
        lines.push({ gtin: l.sku, batch: l.batch, expiryDate: bal.expiry_date, quantity: l.quantity });
        continue;
      }
      const picks = await stock.allocateFirstExpiryFirst(sku.id, warehouse.id, l.quantity);
      if (!picks) throw conflict(`${body.warehouse} has less than ${l.quantity} of ${l.sku} available`, { errors: [{ field: `body.lines.${i}.quantity`, message: 'more than is available' }] });
      for (const p of picks) lines.push({ gtin: l.sku, batch: p.batch, expiryDate: p.expiryDate, quantity: p.quantity });
    }
    await db.insertInto('wms_dispatch_tasks').values({ task_no: body.task_no, warehouse_id: warehouse.id, destination_id: destination.id, lines: JSON.stringify(lines), status: 'pending' })
      .onConflict((oc) => oc.column('task_no').doNothing()).execute();
    await deps.jobs.enqueue(pushTask, { taskNo: body.task_no }, { jobId: `${id}-task-${body.task_no}` });
    return { task_no: body.task_no, status: 'pending', lines };
  }

  const lineBody = z.strictObject({ sku: gtinField, quantity: z.number().int().min(1).max(1_000_000), batch: batchField.optional() });
  const routes: AnyRoute[] = [
    defineRoute({
      method: 'post',
      path: `/api/v1/connectors/wms/webhook`,
      summary: 'Webhook of the WMS: movements and dispatch confirmations; answered after they are committed',
      tags: ['connectors'],
      access: { roles: ['hq'], scope: 'connectors:push' },
      body: z.strictObject({ movements: z.array(z.unknown()).max(1000).optional(), confirmations: z.array(z.unknown()).max(1000).optional() }),
      async handler({ body }) {
        const parsed = parseWmsWebhook(body);
        const m = parsed.movements.good.length ? await applyMovements(stock, id, parsed.movements.good, wmsPath('movements', parsed.movements.indices)) : { rejected: [], applied: 0, duplicates: 0, lagSeconds: null };
        const c = parsed.confirmations.good.length ? await applyConfirmations(parsed.confirmations.good, wmsPath('confirmations', parsed.confirmations.indices)) : { rejected: [] };
        const rejected = [...parsed.movements.rejected, ...m.rejected];
        if (rejected.length) await state.deadLetter(id, 'movements', rejected);
        const rejectedConfirmations = [...parsed.confirmations.rejected, ...c.rejected];
        if (rejectedConfirmations.length) await state.deadLetter(id, 'confirmations', rejectedConfirmations);
        await state.attempt({ connector: id, stream: 'webhook', ok: true, items: parsed.movements.good.length + parsed.confirmations.good.length, lagSeconds: m.lagSeconds });
        return {
          applied: m.applied,
          duplicates: m.duplicates,
          confirmations: parsed.confirmations.good.length - c.rejected.length,
          rejected: [...rejected, ...rejectedConfirmations].map((r) => ({ path: r.path, message: r.message })),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/connectors/wms/dispatch-tasks',
      summary: 'Create a dispatch task (pick and load) and push it to the WMS; batches left out are picked first-expiry-first-out',
      tags: ['connectors'],
      access: { roles: ['hq'], scope: 'stock:write' },
      body: z.strictObject({ task_no: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be 1–40 letters, digits, dot, dash or underscore'), warehouse: code, destination: code, lines: z.array(lineBody).min(1).max(200) }),
      status: 202,
      handler: ({ body }) => createDispatchTask(body),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/connectors/wms/dispatch-tasks/:task_no',
      summary: 'A dispatch task and where it stands (pending, sent, confirmed)',
      tags: ['connectors'],
      access: { roles: ['hq'], scope: 'stock:read' },
      params: z.object({ task_no: z.string().max(40) }),
      async handler({ params }) {
        const t = await db.selectFrom('wms_dispatch_tasks').selectAll().where('task_no', '=', params.task_no).executeTakeFirst();
        if (!t) throw notFound(`Dispatch task ${params.task_no}`);
        return t;
      },
    }),
  ];

  /** Replays a dead-lettered record of a stream (after the cause was fixed); throws naming what is still wrong. */
  async function replay(stream: string, record: unknown): Promise<void> {
    if (stream === 'movements') {
      // Records rejected by the ledger (unknown SKU...) were kept in canonical form, malformed ones as the WMS sent them.
      if (typeof record === 'object' && record !== null && 'gtin' in record) {
        const c = movementSchema.safeParse(record);
        if (!c.success) throw new HttpProblem('validation-failed', `record: ${c.error.issues[0]?.message}`);
        const bad = (await applyMovements(stock, id, [c.data], wmsPath('movements'))).rejected[0];
        if (bad) throw new HttpProblem('validation-failed', `${bad.path}: ${bad.message}`, { errors: [{ field: bad.path, message: bad.message }] });
        return;
      }
      const p = parseWmsWebhook({ movements: [record] });
      const bad = p.movements.rejected[0] ?? (await applyMovements(stock, id, p.movements.good, wmsPath('movements'))).rejected[0];
      if (bad) throw new HttpProblem('validation-failed', `${bad.path}: ${bad.message}`, { errors: [{ field: bad.path, message: bad.message }] });
      return;
    }
    if (stream === 'confirmations') {
      const p = parseWmsWebhook({ confirmations: [record] });
      const bad = p.confirmations.rejected[0] ?? (await applyConfirmations(p.confirmations.good, wmsPath('confirmations'))).rejected[0];
      if (bad) throw new HttpProblem('validation-failed', `${bad.path}: ${bad.message}`, { errors: [{ field: bad.path, message: bad.message }] });
      return;
    }
    throw new HttpProblem('conflict', `records of ${id}/${stream} are not replayed one by one: the next snapshot brings them`);
  }

  return { id, guard, jobs, routes, replay, client, snapshotSite, createDispatchTask, close: () => guard.close() };
}

export type WmsConnector = ReturnType<typeof createWmsConnector>;
