import { z } from 'zod';
import type { Db } from '../platform/db';
import { toPage, totalCount } from '../platform/db/paging';
import { forbidden, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute, type Principal } from '../platform/http/route';
import { pageOf, paging, text } from '../platform/http/schemas';

const memberSchema = z.object({
  id: z.string(),
  store_id: z.string(),
  name: z.string(),
  phone: z.string(),
  baby_birth_date: z.string().nullable(),
  region_code: z.string(),
  created_at: z.date(),
});

const createMember = z.strictObject({
  name: text(60),
  phone: z.string().regex(/^1\d{10}$/, 'must be an 11-digit mainland mobile number'),
  baby_birth_date: z.iso.date().optional(),
});

/**
 * Member (household) data is visible only to HQ and the member's own store (DOMAIN.md, security):
 * not to dealers, not to other stores. A store that asks for another store's members gets 404, so the
 * existence of that store's member list is not disclosed either.
 */
function assertMemberAccess(principal: Principal, storeId: string) {
  if (principal.role === 'hq') return;
  if (principal.role === 'store' && principal.partyId === storeId) return;
  if (principal.role === 'dealer') throw forbidden('Member data is visible only to HQ and the member\'s own store');
  throw notFound(`Store ${storeId}`);
}

export function memberRoutes({ db }: { db: Db }): AnyRoute[] {
  const params = z.object({ id: z.uuid('must be a UUID') });
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/stores/:id/members',
      summary: "A store's members (HQ and that store only)",
      tags: ['members'],
      access: { roles: ['hq', 'store'], scope: 'members:read' },
      params,
      query: z.strictObject({ ...paging }),
      response: pageOf(memberSchema),
      async handler({ params, query, principal }) {
        assertMemberAccess(principal, params.id);
        const sel = db.selectFrom('members').where('store_id', '=', params.id);
        const rows = await sel
          .selectAll()
          .select(totalCount())
          .orderBy('created_at')
          .orderBy('id')
          .limit(query.limit)
          .offset(query.offset)
          .execute();
        return toPage(rows, query, async () => (await sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/stores/:id/members',
      summary: 'Register a member at a store (that store or HQ)',
      tags: ['members'],
      access: { roles: ['hq', 'store'], scope: 'members:write' },
      params,
      body: createMember,
      response: memberSchema,
      status: 201,
      async handler({ params, body, principal }) {
        assertMemberAccess(principal, params.id);
        const store = await db.selectFrom('parties').select(['kind', 'region_code']).where('id', '=', params.id).executeTakeFirst();
        if (store?.kind !== 'store') throw notFound(`Store ${params.id}`);
        if (body.baby_birth_date && body.baby_birth_date > new Date().toISOString().slice(0, 10)) throw invalid('body.baby_birth_date', 'lies in the future');
        return db
          .insertInto('members')
          .values({ store_id: params.id, name: body.name, phone: body.phone, baby_birth_date: body.baby_birth_date ?? null, region_code: store.region_code })
          .returningAll()
          .executeTakeFirstOrThrow();
      },
    }),
  ];
}
