import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { invalid } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { code } from '../platform/http/schemas';
import type { JobRunner } from '../platform/jobs';
import type { PartyVisibility } from '../parties/visibility';
import type { StockService } from '../stock/service';
import { EXPIRY_WARNINGS_JOB } from './job';

const CATEGORIES = ['formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags'] as const;

export function expiryRoutes({ db, stock, visibility, jobs }: { db: Db; stock: StockService; visibility: PartyVisibility; jobs: JobRunner }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/stock/expiry-warnings',
      summary: 'Near-expiry stock of a day’s run (default: the latest), grouped by location or by dealer, with first-expiry-first-out suggestions',
      tags: ['stock'],
      access: { roles: ['hq', 'dealer', 'store'], scope: 'stock:read' },
      query: z.strictObject({ date: z.iso.date().optional(), group_by: z.enum(['location', 'dealer']).default('location'), location: code.optional() }),
      async handler({ query, principal }) {
        const runDate =
          query.date ?? (await db.selectFrom('stock_expiry_warnings').select(sql<string | null>`max(run_date)::text`.as('d')).executeTakeFirst())?.d ?? null;
        if (!runDate) return { run_date: null, groups: [] };
        const visible = await visibility.visibleParties(principal);
        let q = db
          .selectFrom('stock_expiry_warnings as w')
          .innerJoin('skus as s', 's.id', 'w.sku_id')
          .innerJoin('parties as l', 'l.id', 'w.location_id')
          .leftJoin('parties as d', 'd.id', 'w.dealer_id')
          .select([
            's.gtin', 's.name as sku_name', 'w.batch', sql<string>`w.expiry_date::text`.as('expiry_date'), 'w.days_left', 'w.threshold_days', 'w.on_hand', 'w.fefo_rank', 'w.batches_here', 'w.suggestion',
            'l.code as location_code', 'l.name as location_name', 'l.kind as location_kind', 'd.code as dealer_code', 'd.name as dealer_name',
          ])
          .where('w.run_date', '=', runDate);
        if (visible) q = q.where('w.location_id', 'in', visible.size ? [...visible] : ['00000000-0000-0000-0000-000000000000']);
        if (query.location) {
          const loc = await stock.refs.locationByCode(query.location);
          if (!loc) throw invalid('query.location', `no location with code ${query.location}`);
          q = q.where('w.location_id', '=', loc.id);
        }
        const rows = await q.orderBy('w.expiry_date').orderBy('l.code').orderBy('w.batch').execute();
        const groups = new Map<string, { key: string; name: string | null; kind: string; units: number; warnings: unknown[] }>();
        for (const r of rows) {
          const key = query.group_by === 'location' ? r.location_code : (r.dealer_code ?? 'HQ');
          let g = groups.get(key);
          if (!g) {
            g = query.group_by === 'location'
              ? { key, name: r.location_name, kind: r.location_kind, units: 0, warnings: [] }
              : { key, name: r.dealer_name ?? 'HQ warehouses', kind: r.dealer_code ? 'dealer' : 'hq', units: 0, warnings: [] };
            groups.set(key, g);
          }
          g.units += r.on_hand;
          g.warnings.push({
            sku: r.gtin.trim(), sku_name: r.sku_name, batch: r.batch, expiry_date: r.expiry_date, days_left: r.days_left, threshold_days: r.threshold_days,
            on_hand: r.on_hand, location: r.location_code, fefo_rank: r.fefo_rank, batches_here: r.batches_here, suggestion: r.suggestion,
          });
        }
        return { run_date: runDate, group_by: query.group_by, groups: [...groups.values()] };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/stock/expiry-warnings/runs',
      summary: 'Run the expiry warnings now for a day (HQ); the daily job does this at 02:00',
      tags: ['stock'],
      access: { roles: ['hq'], scope: 'stock:write' },
      body: z.strictObject({ date: z.iso.date().optional() }),
      status: 202,
      async handler({ body }) {
        return jobs.enqueue(EXPIRY_WARNINGS_JOB, body.date ? { date: body.date } : {});
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/stock/expiry-policies',
      summary: 'Expiry warning thresholds set per category and per SKU',
      tags: ['stock'],
      access: { roles: ['hq'], scope: 'stock:read' },
      async handler() {
        const rows = await db.selectFrom('stock_expiry_policies as p').leftJoin('skus as s', 's.id', 'p.sku_id').select(['p.category', 's.gtin', 'p.warning_days', 'p.updated_at', 'p.updated_by']).orderBy('p.id').execute();
        return { items: rows.map((r) => ({ ...r, gtin: r.gtin?.trim() ?? null })) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/stock/expiry-policies',
      summary: 'Set the warning threshold (days of shelf life left) of a category or of one SKU (HQ); a SKU’s own wins',
      tags: ['stock'],
      access: { roles: ['hq'], scope: 'stock:write' },
      body: z
        .strictObject({ category: z.enum(CATEGORIES).optional(), sku: z.string().regex(/^\d{14}$/, 'must be a GTIN-14').optional(), warning_days: z.number().int().min(0).max(3650) })
        .refine((b) => (b.category === undefined) !== (b.sku === undefined), { message: 'give either a category or a sku', path: ['category'] }),
      async handler({ body, principal }) {
        if (body.sku) {
          const sku = await stock.refs.skuByGtin(body.sku);
          if (!sku) throw invalid('body.sku', `no SKU with GTIN ${body.sku}`);
          await db.insertInto('stock_expiry_policies').values({ sku_id: sku.id, warning_days: body.warning_days, updated_by: principal.name })
            .onConflict((oc) => oc.column('sku_id').doUpdateSet({ warning_days: body.warning_days, updated_by: principal.name, updated_at: new Date() })).execute();
        } else {
          await db.insertInto('stock_expiry_policies').values({ category: body.category!, warning_days: body.warning_days, updated_by: principal.name })
            .onConflict((oc) => oc.column('category').doUpdateSet({ warning_days: body.warning_days, updated_by: principal.name, updated_at: new Date() })).execute();
        }
        return { category: body.category ?? null, sku: body.sku ?? null, warning_days: body.warning_days };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/stock/notifications',
      summary: 'Stock notifications for you: HQ gets the network summary, a dealer its own',
      tags: ['stock'],
      access: { roles: ['hq', 'dealer'], scope: 'stock:read' },
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      async handler({ principal, query }) {
        const recipient = principal.role === 'hq' ? 'hq' : principal.partyId ?? '-';
        const items = await db.selectFrom('stock_notifications').select(['id', 'kind', sql<string>`run_date::text`.as('run_date'), 'title', 'body', 'created_at']).where('recipient', '=', recipient).orderBy('id', 'desc').limit(query.limit).execute();
        return { items };
      },
    }),
  ];
}
