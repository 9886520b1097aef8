import { z } from 'zod';
import { notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute, type Principal } from '../platform/http/route';
import { paging, regionCode, text, uuidParam } from '../platform/http/schemas';
import type { PartyVisibility } from '../parties/visibility';
import { instant } from '../region-control/schemas';
import type { Authorisation } from './index-of-authorisations';
import type { AuthorisationService } from './service';

const authorisationSchema = z.object({
  id: z.string(),
  dealer_id: z.string(),
  region_code: z.string(),
  valid_from: z.date(),
  valid_to: z.date().nullable(),
  shared: z.boolean(),
  version: z.number(),
  note: z.string().nullable(),
  created_by: z.string(),
  created_at: z.date(),
  ended_by: z.string().nullable(),
  ended_at: z.date().nullable(),
});

export const authorisationJson = (a: Authorisation) => ({
  id: a.id,
  dealer_id: a.dealerId,
  region_code: a.regionCode,
  valid_from: a.validFrom,
  valid_to: a.validTo,
  shared: a.shared,
  version: a.version,
  note: a.note,
  created_by: a.createdBy,
  created_at: a.createdAt,
  ended_by: a.endedBy,
  ended_at: a.endedAt,
});

const read = { roles: ['hq', 'dealer'], scope: 'authorisations:read' } as const;
const write = { roles: ['hq'], scope: 'authorisations:write' } as const;

export function authorisationRoutes(deps: { authorisations: AuthorisationService; visibility: PartyVisibility }): AnyRoute[] {
  const { authorisations, visibility } = deps;
  const visibleOrThrow = async (principal: Principal, id: string) => {
    const visible = await visibility.visibleParties(principal);
    if (visible && !visible.has(id)) throw notFound(`Party ${id}`);
  };
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/authorisations',
      summary: 'Authorised regions (every version), filtered by dealer, region and the instant they were valid',
      tags: ['region control'],
      access: read,
      query: z.strictObject({ dealer: z.uuid().optional(), region: regionCode.optional(), at: instant.optional(), ...paging }),
      response: z.object({ items: z.array(authorisationSchema), total: z.number(), limit: z.number(), offset: z.number() }),
      async handler({ query, principal }) {
        const visible = await visibility.visibleParties(principal);
        let dealerIds: string[] | null = visible ? [...visible] : null;
        if (query.dealer) dealerIds = dealerIds ? dealerIds.filter((d) => d === query.dealer) : [query.dealer];
        const { items, total } = await authorisations.list({ dealerIds, at: query.at, region: query.region, limit: query.limit, offset: query.offset });
        return { items: items.map(authorisationJson), total, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/authorisations',
      summary: 'Authorise a dealer (or store) for a GB/T 2260 region over a period (HQ)',
      tags: ['region control'],
      access: write,
      body: z.strictObject({
        dealer_id: z.uuid(),
        region_code: regionCode,
        valid_from: instant,
        valid_to: instant.nullable().optional(),
        shared: z.boolean().optional(),
        note: text(500).optional(),
      }),
      status: 201,
      async handler({ body, principal }) {
        const { authorisation, overlaps } = await authorisations.grant(
          { dealerId: body.dealer_id, regionCode: body.region_code, validFrom: body.valid_from, validTo: body.valid_to, shared: body.shared, note: body.note },
          principal.name,
        );
        return { ...authorisationJson(authorisation), shared_with: overlaps.map((o) => ({ id: o.id, dealer_id: o.dealerId, region_code: o.regionCode })) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/authorisations/:id/end',
      summary: 'End an authorisation at a given instant; the row is kept for judging earlier shipments (HQ)',
      tags: ['region control'],
      access: write,
      params: uuidParam,
      body: z.strictObject({ valid_to: instant }),
      response: authorisationSchema,
      async handler({ params, body, principal }) {
        return authorisationJson(await authorisations.end(params.id, body.valid_to, principal.name));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/authorised-regions/:id',
      summary: "A dealer's or store's authorised region at an instant (default now), inherited from its supplier unless set",
      tags: ['region control'],
      access: read,
      params: uuidParam,
      query: z.strictObject({ at: instant.optional() }),
      async handler({ params, query, principal }) {
        await visibleOrThrow(principal, params.id);
        const index = await authorisations.index();
        if (!index.party(params.id)) throw notFound(`Party ${params.id}`);
        const at = query.at ?? new Date();
        const e = index.effectiveAt(params.id, at);
        return { party_id: e.partyId, at, from_party_id: e.fromPartyId, inherited: e.inherited, region_codes: e.codes, authorisations: e.authorisations.map(authorisationJson) };
      },
    }),
  ];
}
