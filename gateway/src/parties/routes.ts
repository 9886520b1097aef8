import { hasValidCheckDigit } from '@cradle/protocol';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { toPage, totalCount } from '../platform/db/paging';
import type { PartyKind } from '../platform/db/schema';
import { HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute, type Principal } from '../platform/http/route';
import { code, latitude, likeEscape, longitude, pageOf, paging, regionCode, text, uuidParam } from '../platform/http/schemas';
import type { RegionService } from '../regions/service';
import type { PartyVisibility } from './visibility';

const gln = z
  .string()
  .regex(/^\d{13}$/, 'must be 13 digits')
  .refine((g) => hasValidCheckDigit(g), 'has a wrong GS1 check digit');

export const partySchema = z.object({
  id: z.string(),
  code: z.string(),
  kind: z.enum(['dealer', 'store', 'warehouse', 'factory', 'farm']),
  name: z.string(),
  tier: z.number().nullable(),
  parent_id: z.string().nullable(),
  region_code: z.string(),
  gln: z.string().nullable(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  chain: z.string().nullable(),
  warehouse_kind: z.string().nullable(),
  status: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  created_at: z.date(),
  updated_at: z.date(),
});

interface PartyResource {
  kind: PartyKind;
  path: string;
  label: string;
  create: z.ZodObject;
  update: z.ZodObject;
  filters: z.ZodRawShape;
  /** Roles that may read this kind (writes are HQ). */
  readers: readonly ('hq' | 'dealer' | 'store')[];
}

const common = {
  code,
  name: text(100),
  region_code: regionCode,
  gln: gln.optional(),
  lat: latitude.optional(),
  lng: longitude.optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
};
const updatable = {
  name: text(100).optional(),
  gln: gln.optional(),
  lat: latitude.optional(),
  lng: longitude.optional(),
  status: z.enum(['active', 'suspended', 'closed']).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
};

const resources: PartyResource[] = [
  {
    kind: 'dealer',
    path: '/api/v1/dealers',
    label: 'Dealer',
    create: z.strictObject({ ...common, tier: z.union([z.literal(1), z.literal(2)]), parent_id: z.uuid().optional() }),
    update: z.strictObject(updatable),
    filters: { tier: z.enum(['1', '2']).transform(Number).optional(), parent: z.uuid().optional() },
    readers: ['hq', 'dealer', 'store'],
  },
  {
    kind: 'store',
    path: '/api/v1/stores',
    label: 'Store',
    create: z.strictObject({ ...common, parent_id: z.uuid(), chain: text(60).optional() }),
    update: z.strictObject({ ...updatable, chain: text(60).nullable().optional() }),
    filters: { dealer: z.uuid().optional(), chain: z.string().max(60).optional() },
    readers: ['hq', 'dealer', 'store'],
  },
  {
    kind: 'warehouse',
    path: '/api/v1/warehouses',
    label: 'Warehouse',
    create: z.strictObject({ ...common, lat: latitude, lng: longitude, warehouse_kind: z.enum(['central', 'regional']) }),
    update: z.strictObject(updatable),
    filters: { warehouse_kind: z.enum(['central', 'regional']).optional() },
    readers: ['hq', 'dealer', 'store'],
  },
  {
    kind: 'factory',
    path: '/api/v1/factories',
    label: 'Factory',
    create: z.strictObject(common),
    update: z.strictObject(updatable),
    filters: {},
    readers: ['hq'],
  },
  {
    kind: 'farm',
    path: '/api/v1/farms',
    label: 'Farm',
    create: z.strictObject(common),
    update: z.strictObject(updatable),
    filters: {},
    readers: ['hq'],
  },
];

export interface PartyDeps {
  db: Db;
  regions: RegionService;
  visibility: PartyVisibility;
}

/** Where a party may be placed: a region that exists and, below a supplier, inside the supplier's region. */
async function checkPlacement(deps: PartyDeps, kind: PartyKind, body: Record<string, unknown>) {
  const region = body.region_code as string;
  if (!deps.regions.get(region)) throw invalid('body.region_code', `${region} is not a GB/T 2260 region code`);
  const parentId = body.parent_id as string | undefined;
  const needsParent = kind === 'store' || (kind === 'dealer' && body.tier === 2);
  if (needsParent !== (parentId !== undefined)) {
    throw invalid('body.parent_id', needsParent ? 'is required: name the supplying dealer' : 'is only for second-tier dealers and stores');
  }
  if (!parentId) return;
  const parent = await deps.db.selectFrom('parties').select(['kind', 'tier', 'region_code']).where('id', '=', parentId).executeTakeFirst();
  if (!parent || parent.kind !== 'dealer' || (kind === 'dealer' && parent.tier !== 1)) {
    throw invalid('body.parent_id', kind === 'dealer' ? 'must be a first-tier dealer' : 'must be a dealer');
  }
  if (!deps.regions.isWithin(region, parent.region_code)) {
    throw invalid('body.region_code', `${region} lies outside the supplier's region ${parent.region_code}`);
  }
}

async function audit(db: Db, principal: Principal, action: string, entity: string, id: string, detail: Record<string, unknown>) {
  await db.insertInto('audit_log').values({ actor: principal.name, action, entity, entity_id: id, detail }).execute();
}

function partyRoutes(deps: PartyDeps, r: PartyResource): AnyRoute[] {
  const { db, visibility } = deps;
  const read = { roles: r.readers, scope: 'masterdata:read' } as const;
  const write = { roles: ['hq'], scope: 'masterdata:write' } as const;
  const visibleOrThrow = async (principal: Principal, id: string) => {
    const visible = await visibility.visibleParties(principal);
    if (visible && !visible.has(id)) throw notFound(`${r.label} ${id}`);
  };
  return [
    defineRoute({
      method: 'get',
      path: r.path,
      summary: `List ${r.label.toLowerCase()}s you may see`,
      tags: ['master data'],
      access: read,
      query: z.strictObject({ region: regionCode.optional(), status: z.enum(['active', 'suspended', 'closed']).optional(), q: z.string().max(60).optional(), ...r.filters, ...paging }),
      response: pageOf(partySchema),
      async handler({ query, principal }) {
        const q = query as Record<string, unknown> & { limit: number; offset: number };
        const visible = await visibility.visibleParties(principal);
        let sel = db.selectFrom('parties').where('kind', '=', r.kind);
        if (visible) sel = sel.where('id', 'in', visible.size ? [...visible] : ['00000000-0000-0000-0000-000000000000']);
        if (q.tier !== undefined) sel = sel.where('tier', '=', q.tier as 1 | 2);
        if (q.parent) sel = sel.where('parent_id', '=', q.parent as string);
        if (q.dealer) sel = sel.where('parent_id', '=', q.dealer as string);
        if (q.chain) sel = sel.where('chain', '=', q.chain as string);
        if (q.warehouse_kind) sel = sel.where('warehouse_kind', '=', q.warehouse_kind as 'central' | 'regional');
        if (q.status) sel = sel.where('status', '=', q.status as 'active');
        if (q.region) {
          // The region and everything beneath it: GB/T 2260 codes share their leading digits with their ancestors.
          const level = deps.regions.get(q.region as string)?.level;
          const prefix = level === 'province' ? (q.region as string).slice(0, 2) : level === 'city' ? (q.region as string).slice(0, 4) : (q.region as string);
          sel = sel.where('region_code', 'like', `${prefix}%`);
        }
        if (q.q) sel = sel.where((eb) => eb.or([eb('name', 'like', `%${likeEscape(q.q as string)}%`), eb('code', 'like', `${likeEscape(q.q as string)}%`)]));
        const rows = await sel
          .selectAll()
          .select(totalCount())
          .orderBy('code')
          .limit(q.limit)
          .offset(q.offset)
          .execute();
        return toPage(rows, q, async () => (await sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      },
    }),
    defineRoute({
      method: 'get',
      path: `${r.path}/:id`,
      summary: `One ${r.label.toLowerCase()}`,
      tags: ['master data'],
      access: read,
      params: uuidParam,
      response: partySchema,
      async handler({ params, principal }) {
        await visibleOrThrow(principal, params.id);
        const row = await db.selectFrom('parties').selectAll().where('id', '=', params.id).where('kind', '=', r.kind).executeTakeFirst();
        if (!row) throw notFound(`${r.label} ${params.id}`);
        return row;
      },
    }),
    defineRoute({
      method: 'post',
      path: r.path,
      summary: `Create a ${r.label.toLowerCase()} (HQ)`,
      tags: ['master data'],
      access: write,
      body: r.create,
      response: partySchema,
      status: 201,
      async handler({ body, principal }) {
        const b = body as Record<string, unknown>;
        await checkPlacement(deps, r.kind, b);
        const taken = await db.selectFrom('parties').select('id').where('code', '=', b.code as string).executeTakeFirst();
        if (taken) throw new HttpProblem('conflict', `A party with code ${String(b.code)} already exists`, { errors: [{ field: 'body.code', message: 'already exists' }] });
        if (r.kind === 'dealer' && b.tier === 1) {
          const bound = await db.selectFrom('parties').select('code').where('kind', '=', 'dealer').where('tier', '=', 1).where('region_code', '=', b.region_code as string).executeTakeFirst();
          if (bound) throw new HttpProblem('conflict', `Region ${String(b.region_code)} is already bound to first-tier dealer ${bound.code}`, { errors: [{ field: 'body.region_code', message: `already bound to ${bound.code}` }] });
        }
        const row = await db
          .insertInto('parties')
          .values({
            kind: r.kind,
            code: b.code as string,
            name: b.name as string,
            region_code: b.region_code as string,
            tier: r.kind === 'dealer' ? (b.tier as 1 | 2) : null,
            parent_id: (b.parent_id as string | undefined) ?? null,
            gln: (b.gln as string | undefined) ?? null,
            lat: (b.lat as number | undefined) ?? null,
            lng: (b.lng as number | undefined) ?? null,
            chain: (b.chain as string | undefined) ?? null,
            warehouse_kind: (b.warehouse_kind as 'central' | 'regional' | undefined) ?? null,
            attributes: JSON.stringify(b.attributes ?? {}),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        visibility.forget();
        await audit(db, principal, `${r.kind}.create`, 'party', row.id, { code: row.code });
        return row;
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${r.path}/:id`,
      summary: `Change a ${r.label.toLowerCase()} (HQ)`,
      tags: ['master data'],
      access: write,
      params: uuidParam,
      body: r.update,
      response: partySchema,
      async handler({ params, body, principal }) {
        const b = body as Record<string, unknown>;
        if (Object.keys(b).length === 0) throw invalid('body', 'names no field to change');
        const { attributes, ...rest } = b;
        const row = await db
          .updateTable('parties')
          .set({ ...(rest as object), ...(attributes ? { attributes: JSON.stringify(attributes) } : {}), updated_at: new Date() })
          .where('id', '=', params.id)
          .where('kind', '=', r.kind)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw notFound(`${r.label} ${params.id}`);
        await audit(db, principal, `${r.kind}.update`, 'party', row.id, b);
        return row;
      },
    }),
  ];
}

export function partiesRoutes(deps: PartyDeps): AnyRoute[] {
  return resources.flatMap((r) => partyRoutes(deps, r));
}
