import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute, type Principal } from '../platform/http/route';
import { code, pageOf, paging, regionCode } from '../platform/http/schemas';
import type { PartyVisibility } from '../parties/visibility';
import { StockError } from './errors';
import { movementBody, snapshotBody } from './schemas';
import type { StockService } from './service';

const read = { roles: ['hq', 'dealer', 'store'], scope: 'stock:read' } as const;
const write = { roles: ['hq'], scope: 'stock:write' } as const;

/** Maps a stock domain error to its problem, naming the field under `prefix` (e.g. `body.movements.3`). */
export function stockProblem(err: unknown, prefix: string): unknown {
  if (!(err instanceof StockError)) return err;
  const field = err.field ? `${prefix}.${err.field}` : prefix;
  if (err.code === 'STOCK_KEY_CONFLICT') return new HttpProblem('conflict', err.message, { errors: [{ field, message: err.message }] });
  return invalid(field, err.message);
}

const listOfGtins = z
  .string()
  .regex(/^\d{14}(,\d{14}){0,49}$/, 'must be 1–50 GTIN-14s separated by commas')
  .transform((s) => [...new Set(s.split(','))]);

const movementRow = z.object({
  id: z.number(),
  idempotency_key: z.string(),
  source: z.string(),
  reason: z.string(),
  sku_id: z.string(),
  gtin: z.string(),
  batch: z.string(),
  expiry_date: z.string().nullable(),
  location_id: z.string(),
  location_code: z.string(),
  on_hand: z.number(),
  reserved: z.number(),
  in_transit: z.number(),
  occurred_at: z.date(),
  recorded_at: z.date(),
  applied: z.boolean(),
  reference: z.string().nullable(),
  reconciliation_id: z.number().nullable(),
});

export function stockRoutes({ db, stock, visibility }: { db: Db; stock: StockService; visibility: PartyVisibility }): AnyRoute[] {
  const visibleTo = (p: Principal) => visibility.visibleParties(p);
  const movementQuery = (where: (q: ReturnType<typeof base>) => ReturnType<typeof base>) => where(base());
  function base() {
    return db
      .selectFrom('stock_movements as m')
      .innerJoin('skus as s', 's.id', 'm.sku_id')
      .innerJoin('parties as p', 'p.id', 'm.location_id')
      .select([
        'm.id', 'm.idempotency_key', 'm.source', 'm.reason', 'm.sku_id', 's.gtin', 'm.batch', sql<string | null>`m.expiry_date::text`.as('expiry_date'), 'm.location_id', 'p.code as location_code',
        'm.d_on_hand as on_hand', 'm.d_reserved as reserved', 'm.d_in_transit as in_transit', 'm.occurred_at', 'm.recorded_at', 'm.applied',
        'm.reference', 'm.reconciliation_id',
      ]);
  }
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/stock/network',
      summary: 'Network visibility: stock of one or more SKUs at every location you may see, per batch, with the freshness of each location’s data',
      tags: ['stock'],
      access: read,
      query: z.strictObject({
        sku: listOfGtins,
        region: regionCode.optional(),
        max_days_to_expiry: z.coerce.number().int().min(0).max(3650).optional(),
        kind: z.enum(['warehouse', 'dealer', 'store']).optional(),
      }),
      async handler({ query, principal }) {
        const skuIds: string[] = [];
        for (const g of query.sku) {
          const s = await stock.refs.skuByGtin(g);
          if (!s) throw invalid('query.sku', `no SKU with GTIN ${g}`);
          skuIds.push(s.id);
        }
        const items = await stock.network({
          skuIds,
          regionCode: query.region,
          maxDaysToExpiry: query.max_days_to_expiry,
          kinds: query.kind ? [query.kind] : undefined,
          visibleLocationIds: await visibleTo(principal),
        });
        return { as_of: stock.clock().toISOString(), items };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/stock/movements',
      summary: 'Record stock movements (up to 1000, all or nothing); each idempotency key is applied once, ever',
      tags: ['stock'],
      access: write,
      body: z.strictObject({ movements: z.array(movementBody).min(1).max(1000) }),
      response: z.object({ results: z.array(z.object({ idempotency_key: z.string(), status: z.string(), movement_id: z.number() })) }),
      async handler({ body }) {
        const { inputs, rejected } = await stock.resolveAll(
          body.movements.map((m) => ({
            idempotencyKey: m.idempotency_key,
            source: m.source,
            reason: m.reason as never,
            gtin: m.sku,
            batch: m.batch,
            expiryDate: m.expiry_date ?? null,
            locationCode: m.location,
            onHand: m.on_hand,
            reserved: m.reserved,
            inTransit: m.in_transit,
            occurredAt: m.occurred_at,
            reference: m.reference ?? null,
          })),
        );
        if (rejected.length > 0) {
          const errors = rejected.map((r) => ({ field: `body.movements.${r.index}.${r.field === 'gtin' ? 'sku' : r.field}`, message: r.message }));
          throw new HttpProblem('validation-failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
        }
        try {
          const outcomes = await stock.recordMovements(inputs, { onConflict: 'reject' });
          return { results: outcomes.map((o) => ({ idempotency_key: o.idempotencyKey, status: o.status, movement_id: o.movementId })) };
        } catch (err) {
          throw stockProblem(err, 'body');
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/stock/movements',
      summary: 'Movement history, newest first, of a SKU and/or a location',
      tags: ['stock'],
      access: read,
      query: z.strictObject({ sku: z.string().regex(/^\d{14}$/, 'must be a GTIN-14').optional(), location: code.optional(), source: z.string().max(60).optional(), ...paging }),
      response: pageOf(movementRow),
      async handler({ query, principal }) {
        if (!query.sku && !query.location) throw invalid('query.sku', 'give a sku or a location (or both)');
        const visible = await visibleTo(principal);
        let skuId: string | undefined;
        if (query.sku) {
          skuId = (await stock.refs.skuByGtin(query.sku))?.id;
          if (!skuId) throw invalid('query.sku', `no SKU with GTIN ${query.sku}`);
        }
        let locationId: string | undefined;
        if (query.location) {
          locationId = (await stock.refs.locationByCode(query.location))?.id;
          if (!locationId || (visible && !visible.has(locationId))) throw notFound(`Location ${query.location}`);
        }
        const rows = await movementQuery((q) => {
          let r = q;
          if (skuId) r = r.where('m.sku_id', '=', skuId);
          if (locationId) r = r.where('m.location_id', '=', locationId);
          if (query.source) r = r.where('m.source', '=', query.source);
          if (visible) r = r.where('m.location_id', 'in', visible.size ? [...visible] : ['00000000-0000-0000-0000-000000000000']);
          return r;
        })
          .orderBy('m.occurred_at', 'desc')
          .orderBy('m.id', 'desc')
          .limit(query.limit + 1)
          .offset(query.offset)
          .execute();
        const items = rows.slice(0, query.limit).map((r) => ({ ...r, gtin: r.gtin.trim() }));
        // The ledger grows fast; the page says whether there is more instead of counting it all.
        return { items, total: query.offset + rows.length, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/stock/snapshots',
      summary: 'Reconcile a source system’s snapshot of some locations against the ledger; differences are recorded as movements',
      tags: ['stock'],
      access: write,
      body: snapshotBody,
      async handler({ body }) {
        try {
          const r = await stock.reconcile({
            key: body.key,
            source: body.source,
            asOf: body.as_of,
            locationCodes: body.locations,
            rows: body.rows.map((r) => ({ gtin: r.sku, batch: r.batch, expiryDate: r.expiry_date ?? null, locationCode: r.location, onHand: r.on_hand, reserved: r.reserved, inTransit: r.in_transit })),
          });
          return { reconciliation_id: r.id, status: r.status, rows: r.rows, differences: r.differences, note: r.note };
        } catch (err) {
          throw stockProblem(err, 'body');
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/stock/reconciliations',
      summary: 'Snapshot reconciliations, newest first (HQ)',
      tags: ['stock'],
      access: { roles: ['hq'], scope: 'stock:read' },
      query: z.strictObject({ source: z.string().max(60).optional(), ...paging }),
      async handler({ query }) {
        let q = db.selectFrom('stock_reconciliations').selectAll();
        if (query.source) q = q.where('source', '=', query.source);
        const items = await q.orderBy('id', 'desc').limit(query.limit).offset(query.offset).execute();
        return { items, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/stock/reconciliations/:id/differences',
      summary: 'The differences a reconciliation found: what the ledger held, what the source said, the adjustment (HQ)',
      tags: ['stock'],
      access: { roles: ['hq'], scope: 'stock:read' },
      params: z.object({ id: z.coerce.number().int().positive() }),
      query: z.strictObject(paging),
      async handler({ params, query }) {
        const rec = await db.selectFrom('stock_reconciliations').selectAll().where('id', '=', params.id).executeTakeFirst();
        if (!rec) throw notFound(`Reconciliation ${params.id}`);
        const rows = await db
          .selectFrom('stock_movements as m')
          .innerJoin('skus as s', 's.id', 'm.sku_id')
          .innerJoin('parties as p', 'p.id', 'm.location_id')
          .select(['s.gtin', 'm.batch', sql<string | null>`m.expiry_date::text`.as('expiry_date'), 'p.code as location', 'm.d_on_hand', 'm.d_reserved', 'm.d_in_transit', 'm.snapshot_on_hand', 'm.snapshot_reserved', 'm.snapshot_in_transit'])
          .where('m.reconciliation_id', '=', params.id)
          .orderBy('m.id')
          .limit(query.limit)
          .offset(query.offset)
          .execute();
        return {
          reconciliation: rec,
          items: rows.map((r) => ({
            sku: r.gtin.trim(),
            batch: r.batch,
            expiry_date: r.expiry_date,
            location: r.location,
            ledger: { on_hand: r.snapshot_on_hand! - r.d_on_hand, reserved: r.snapshot_reserved! - r.d_reserved, in_transit: r.snapshot_in_transit! - r.d_in_transit },
            source: { on_hand: r.snapshot_on_hand, reserved: r.snapshot_reserved, in_transit: r.snapshot_in_transit },
            adjustment: { on_hand: r.d_on_hand, reserved: r.d_reserved, in_transit: r.d_in_transit },
          })),
          total: rec.differences,
          limit: query.limit,
          offset: query.offset,
        };
      },
    }),
  ];
}
