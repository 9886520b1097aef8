import { isValidGtin } from '@cradle/protocol';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { toPage, totalCount } from '../platform/db/paging';
import { HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { createReadCache } from '../platform/http/read-cache';
import { likeEscape, pageOf, paging, text, uuidParam } from '../platform/http/schemas';

const CATEGORIES = ['formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags'] as const;
/** Days before expiry at which stock is flagged, by category (DOMAIN.md: formula 6 months ahead). */
export const DEFAULT_EXPIRY_WARNING_DAYS: Record<(typeof CATEGORIES)[number], number> = {
  formula: 180,
  baby_food: 90,
  wipes: 90,
  diapers: 180,
  cots: 0,
  bags: 0,
};

const gtin = z
  .string()
  .regex(/^\d{14}$/, 'must be a GTIN-14 (14 digits)')
  .refine((g) => isValidGtin(g), 'has a wrong GS1 check digit');

export const skuSchema = z.object({
  id: z.string(),
  gtin: z.string(),
  name: z.string(),
  name_en: z.string().nullable(),
  category: z.enum(CATEGORIES),
  size: z.enum(['NB', 'S', 'M', 'L', 'XL']).nullable(),
  units_per_case: z.number(),
  pack_sizes: z.array(z.number()),
  shelf_life_days: z.number(),
  expiry_warning_days: z.number(),
  status: z.enum(['active', 'discontinued']),
  created_at: z.date(),
  updated_at: z.date(),
});

const fields = {
  name: text(200),
  name_en: text(200).nullable().optional(),
  size: z.enum(['NB', 'S', 'M', 'L', 'XL']).nullable().optional(),
  units_per_case: z.number().int().min(1).max(10_000),
  pack_sizes: z.array(z.number().int().min(1).max(10_000)).min(1).max(10).optional(),
  shelf_life_days: z.number().int().min(1).max(3650),
  expiry_warning_days: z.number().int().min(0).max(3650).optional(),
  status: z.enum(['active', 'discontinued']).optional(),
};
const createSku = z.strictObject({ gtin, category: z.enum(CATEGORIES), ...fields });
const updateSku = z.strictObject(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof fields]: z.ZodOptional<(typeof fields)[K]> });

const read = { roles: ['hq', 'dealer', 'store'], scope: 'masterdata:read' } as const;
const write = { roles: ['hq'], scope: 'masterdata:write' } as const;

export function skuRoutes({ db }: { db: Db }): AnyRoute[] {
  const lists = createReadCache();
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/skus',
      summary: 'List SKUs (the catalogue is visible to every level)',
      tags: ['master data'],
      access: read,
      query: z.strictObject({
        category: z.enum(CATEGORIES).optional(),
        size: z.enum(['NB', 'S', 'M', 'L', 'XL']).optional(),
        status: z.enum(['active', 'discontinued']).optional(),
        gtin: z.string().regex(/^\d{1,14}$/, 'must be digits').optional(),
        q: z.string().max(60).optional(),
        ...paging,
      }),
      response: pageOf(skuSchema),
      handler: ({ query }) => lists.get(JSON.stringify(query), async () => {
        let sel = db.selectFrom('skus');
        if (query.category) sel = sel.where('category', '=', query.category);
        if (query.size) sel = sel.where('size', '=', query.size);
        if (query.status) sel = sel.where('status', '=', query.status);
        if (query.gtin) sel = sel.where('gtin', 'like', `${query.gtin}%`);
        if (query.q) sel = sel.where((eb) => eb.or([eb('name', 'like', `%${likeEscape(query.q!)}%`), eb('name_en', 'ilike', `%${likeEscape(query.q!)}%`)]));
        const rows = await sel.selectAll().select(totalCount()).orderBy('gtin').limit(query.limit).offset(query.offset).execute();
        return toPage(rows, query, async () => (await sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/skus/:id',
      summary: 'One SKU',
      tags: ['master data'],
      access: read,
      params: uuidParam,
      response: skuSchema,
      async handler({ params }) {
        const row = await db.selectFrom('skus').selectAll().where('id', '=', params.id).executeTakeFirst();
        if (!row) throw notFound(`SKU ${params.id}`);
        return row;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/skus',
      summary: 'Create a SKU (HQ)',
      tags: ['master data'],
      access: write,
      body: createSku,
      response: skuSchema,
      status: 201,
      async handler({ body, principal }) {
        if ((body.category === 'diapers') !== (body.size != null)) throw invalid('body.size', body.category === 'diapers' ? 'is required for diapers' : 'is only for diapers');
        const taken = await db.selectFrom('skus').select('id').where('gtin', '=', body.gtin).executeTakeFirst();
        if (taken) throw new HttpProblem('conflict', `GTIN ${body.gtin} is already in the catalogue`, { errors: [{ field: 'body.gtin', message: 'already exists' }] });
        const row = await db
          .insertInto('skus')
          .values({
            ...body,
            name_en: body.name_en ?? null,
            size: body.size ?? null,
            expiry_warning_days: body.expiry_warning_days ?? DEFAULT_EXPIRY_WARNING_DAYS[body.category],
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        lists.clear();
        await db.insertInto('audit_log').values({ actor: principal.name, action: 'sku.create', entity: 'sku', entity_id: row.id, detail: { gtin: row.gtin } }).execute();
        return row;
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/skus/:id',
      summary: 'Change a SKU (HQ); the GTIN and category are fixed once issued',
      tags: ['master data'],
      access: write,
      params: uuidParam,
      body: updateSku,
      response: skuSchema,
      async handler({ params, body, principal }) {
        if (Object.keys(body).length === 0) throw invalid('body', 'names no field to change');
        const row = await db.updateTable('skus').set({ ...body, updated_at: new Date() }).where('id', '=', params.id).returningAll().executeTakeFirst();
        if (!row) throw notFound(`SKU ${params.id}`);
        lists.clear();
        await db.insertInto('audit_log').values({ actor: principal.name, action: 'sku.update', entity: 'sku', entity_id: row.id, detail: body }).execute();
        return row;
      },
    }),
  ];
}
