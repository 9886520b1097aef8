import { createErpClient, createErpMapper, movementSchema, type RejectedRecord } from '@cradle/connectors';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { HttpProblem, invalid } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { code } from '../platform/http/schemas';
import { defineJob, type JobDefinition, type JobRunner } from '../platform/jobs';
import type { StockService } from '../stock/service';
import { gtinField } from '../stock/schemas';
import { endpointGuardFor, type ErpConfig, secretValue } from './config';
import type { ConnectorState } from './state';
import { applyMovements, defineSyncJob, pullFeed } from './sync';

/**
 * One regional ERP over SOAP: its warehouse's stock (movement feed and periodic snapshots), dealer master data,
 * invoices and payments (receivables for credit limits), and sales-order export. Each ERP has its own WSDL,
 * credentials, field mapping, circuit breaker and rate limit.
 */
export function createErpConnector(deps: { cfg: ErpConfig; db: Db; stock: StockService; state: ConnectorState; jobs: JobRunner; env: NodeJS.ProcessEnv }) {
  const { cfg, db, stock, state } = deps;
  const id = cfg.id;
  const guard = endpointGuardFor(cfg);
  const client = createErpClient({ wsdlUrl: cfg.wsdlUrl, endpoint: cfg.endpoint, username: cfg.username, password: secretValue(cfg.password, deps.env)!, guard, timeoutMs: cfg.breaker.timeoutMs });
  const mapper = createErpMapper(cfg.mapping, id);
  const plantOf = (site: string) => Object.entries(cfg.mapping.locations).find(([, c]) => c === site)?.[0];
  const sync = (stream: string, everyMs: number, run: Parameters<typeof defineSyncJob>[0]['run']) => defineSyncJob({ connector: id, stream, state, everyMs, retry: cfg.retry, run });
  const errorPath = (indices: number[]) => (i: number, field: string) => {
    const names: Record<string, string> = { ...cfg.mapping.movement, onHand: cfg.mapping.movement.quantity, reserved: cfg.mapping.movement.quantity, inTransit: cfg.mapping.movement.quantity } as never;
    return `Items.Item[${indices[i] ?? i}]${field ? `.${names[field] ?? field}` : ''}`;
  };

  async function snapshotSite(site: string) {
    const plant = plantOf(site);
    if (!plant) throw new Error(`${id}: no plant of the mapping is ${site}`);
    const snap = await client.stockSnapshot(plant);
    const { good, rejected, indices } = mapper.stock(snap.items);
    const bad: RejectedRecord[] = rejected.map((r) => ({ ...r, key: `${snap.asOf.toISOString()}#${r.index}` }));
    const rows = [];
    for (const [k, r] of good.entries()) {
      if (!(await stock.refs.skuByGtin(r.gtin))) bad.push({ index: indices[k]!, path: `Items.Item[${indices[k]}].${cfg.mapping.stock.gtin}`, message: `no SKU with GTIN ${r.gtin}`, raw: snap.items[indices[k]!], key: `${snap.asOf.toISOString()}#${indices[k]}` });
      else rows.push({ gtin: r.gtin, batch: r.batch, expiryDate: r.expiryDate, locationCode: r.location, onHand: r.onHand, reserved: r.reserved, inTransit: r.inTransit });
    }
    if (bad.length) await state.deadLetter(id, 'snapshot', bad);
    return stock.reconcile({ key: `${id}:${site}:${snap.asOf.toISOString()}`, source: id, asOf: snap.asOf, locationCodes: [site], rows, partial: bad.length > 0 });
  }

  const exportOrder = defineJob({
    name: `${id}.export-order`,
    schema: z.object({ orderNo: z.string().min(1).max(40), customerNo: z.string().min(1).max(40), lines: z.array(z.object({ gtin: z.string(), quantity: z.number().int().positive() })).min(1) }),
    attempts: cfg.retry.attempts,
    backoff: { type: 'exponential', delayMs: cfg.retry.delayMs, jitter: cfg.retry.jitter },
    handler: async (order) => {
      const done = await db.selectFrom('erp_order_exports').select('erp_document_no').where('erp', '=', id).where('order_no', '=', order.orderNo).executeTakeFirst();
      if (done) return { documentNo: done.erp_document_no };
      try {
        const documentNo = await client.exportOrder(order);
        await db.insertInto('erp_order_exports').values({ erp: id, order_no: order.orderNo, erp_document_no: documentNo }).onConflict((oc) => oc.columns(['erp', 'order_no']).doNothing()).execute();
        await state.attempt({ connector: id, stream: 'orders', ok: true, items: 1 });
        return { documentNo };
      } catch (err) {
        await state.attempt({ connector: id, stream: 'orders', ok: false, error: (err as Error).message });
        throw err;
      }
    },
  });

  const jobs: JobDefinition<any>[] = [
    sync('movements', cfg.movementsEveryMs, async (ctx) => {
      const r = await pullFeed({
        connector: id, stream: 'movements', state, signal: ctx.signal,
        fetchPage: async (after) => {
          const p = await client.movements(after, cfg.pageSize);
          return { ...mapper.movements(p.items), last: p.last };
        },
        apply: (good, indices) => applyMovements(stock, id, good, errorPath(indices)),
      });
      return { items: r.items, lagSeconds: r.lagSeconds };
    }),
    sync('snapshot', cfg.snapshotEveryMs, async () => {
      let items = 0;
      for (const site of cfg.sites) items += (await snapshotSite(site)).rows;
      return { items };
    }),
    sync('customers', cfg.masterDataEveryMs, async () => {
      const { good, rejected } = mapper.customers(await client.customers());
      if (rejected.length) await state.deadLetter(id, 'customers', rejected);
      for (const c of good) {
        const dealer = c.dealerCode ? await db.selectFrom('parties').select('id').where('code', '=', c.dealerCode).where('kind', '=', 'dealer').executeTakeFirst() : undefined;
        const row = { erp: id, customer_no: c.customerNo, dealer_id: dealer?.id ?? null, dealer_code: c.dealerCode, name: c.name, credit_limit: c.creditLimit, payment_terms_days: c.paymentTermsDays, updated_at: new Date() };
        await db.insertInto('erp_dealer_accounts').values(row).onConflict((oc) => oc.columns(['erp', 'customer_no']).doUpdateSet(row)).execute();
      }
      return { items: good.length };
    }),
    sync('invoices', cfg.receivablesEveryMs, async () => {
      const r = await pullFeed({
        connector: id, stream: 'invoices', state,
        fetchPage: async (after) => {
          const p = await client.invoices(after, cfg.pageSize);
          return { ...mapper.invoices(p.items), last: p.last };
        },
        apply: async (good) => {
          for (const v of good) {
            const row = { erp: id, invoice_no: v.invoiceNo, customer_no: v.customerNo, issued_on: v.issuedOn, due_on: v.dueOn, amount: v.amount, currency: v.currency };
            await db.insertInto('erp_invoices').values(row).onConflict((oc) => oc.columns(['erp', 'invoice_no']).doUpdateSet(row)).execute();
          }
          return { rejected: [] };
        },
      });
      return { items: r.items };
    }),
    sync('payments', cfg.receivablesEveryMs, async () => {
      const r = await pullFeed({
        connector: id, stream: 'payments', state,
        fetchPage: async (after) => {
          const p = await client.payments(after, cfg.pageSize);
          return { ...mapper.payments(p.items), last: p.last };
        },
        apply: async (good) => {
          for (const p of good) {
            const row = { erp: id, payment_no: p.paymentNo, customer_no: p.customerNo, invoice_no: p.invoiceNo, paid_on: p.paidOn, amount: p.amount, currency: p.currency };
            await db.insertInto('erp_payments').values(row).onConflict((oc) => oc.columns(['erp', 'payment_no']).doUpdateSet(row)).execute();
          }
          return { rejected: [] };
        },
      });
      return { items: r.items };
    }),
    exportOrder,
  ];

  const routes: AnyRoute[] = [
    defineRoute({
      method: 'post',
      path: `/api/v1/connectors/erp/${id}/orders`,
      summary: `Export a sales order to ${id} (idempotent by order number)`,
      tags: ['connectors'],
      access: { roles: ['hq'], scope: 'connectors:admin' },
      body: z.strictObject({ order_no: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/), dealer: code, lines: z.array(z.strictObject({ sku: gtinField, quantity: z.number().int().min(1) })).min(1).max(500) }),
      status: 202,
      async handler({ body }) {
        const account = await db.selectFrom('erp_dealer_accounts').select('customer_no').where('erp', '=', id).where('dealer_code', '=', body.dealer).executeTakeFirst();
        if (!account) throw invalid('body.dealer', `${body.dealer} has no customer account in ${id}`);
        const { jobId } = await deps.jobs.enqueue(exportOrder, { orderNo: body.order_no, customerNo: account.customer_no, lines: body.lines.map((l) => ({ gtin: l.sku, quantity: l.quantity })) }, { jobId: `${id}-order-${body.order_no}` });
        return { job_id: jobId, order_no: body.order_no, customer_no: account.customer_no };
      },
    }),
  ];

  async function replay(stream: string, record: unknown): Promise<void> {
    if (stream !== 'movements') throw new HttpProblem('conflict', `records of ${id}/${stream} are not replayed one by one: the next sync brings them`);
    const canonical = movementSchema.safeParse(record);
    const mapped = canonical.success ? { good: [canonical.data], rejected: [], indices: [0] } : mapper.movements([record]);
    const bad = mapped.rejected[0] ?? (await applyMovements(stock, id, mapped.good, errorPath([0]))).rejected[0];
    if (bad) throw new HttpProblem('validation-failed', `${bad.path}: ${bad.message}`, { errors: [{ field: bad.path, message: bad.message }] });
  }

  return { id, guard, jobs, routes, replay, client, snapshotSite, close: () => guard.close() };
}

/** What a dealer owes across the ERPs (invoices minus payments), for credit limits. */
export async function dealerReceivables(db: Db, dealerId: string) {
  const r = await sql<{ erp: string; customer_no: string; credit_limit: number | null; invoiced: number; paid: number; overdue: number }>`
    select a.erp, a.customer_no, a.credit_limit,
      coalesce((select sum(amount) from erp_invoices i where i.erp = a.erp and i.customer_no = a.customer_no), 0)::float8 as invoiced,
      coalesce((select sum(amount) from erp_payments p where p.erp = a.erp and p.customer_no = a.customer_no), 0)::float8 as paid,
      coalesce((select sum(amount) from erp_invoices i where i.erp = a.erp and i.customer_no = a.customer_no and i.due_on < current_date), 0)::float8 as overdue
    from erp_dealer_accounts a where a.dealer_id = ${dealerId}`.execute(db);
  return r.rows.map((x) => ({ ...x, credit_limit: x.credit_limit === null ? null : Number(x.credit_limit), outstanding: Math.round((x.invoiced - x.paid) * 100) / 100 }));
}
