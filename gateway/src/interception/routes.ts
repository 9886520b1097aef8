import { z } from 'zod';
import type { PartyVisibility } from '../parties/visibility';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { code, paging, regionCode, text, uuidParam } from '../platform/http/schemas';
import { instant } from '../region-control/schemas';
import type { InterceptionService } from './service';

const kind = z.enum(['order', 'transfer']);

export function interceptionRoutes({ interception, visibility }: { interception: InterceptionService; visibility: PartyVisibility }): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/holds/check',
      summary: 'Check an order or transfer delivery address; outside the dealer\'s authorised region it is held for HQ',
      tags: ['region control'],
      access: { roles: ['hq'], scope: 'holds:write' },
      body: z.strictObject({ kind, reference: code, dealer_id: z.uuid(), delivery_region_code: regionCode, at: instant.optional() }),
      async handler({ body, res }) {
        const r = await interception.interceptIfOutside({ kind: body.kind, reference: body.reference, dealerId: body.dealer_id, deliveryRegionCode: body.delivery_region_code, at: body.at ?? new Date() });
        const answer = { held: r.held, reason: r.check.reason, authorised_region_codes: r.check.authorised, hold: r.held ? r.hold : null };
        // 202: accepted, but waiting for HQ's decision.
        if (r.held) res.status(202).json(answer);
        else return answer;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/holds',
      summary: 'Cross-region holds; a dealer sees its own network\'s',
      tags: ['region control'],
      access: { roles: ['hq', 'dealer'], scope: 'holds:read' },
      query: z.strictObject({ status: z.enum(['held', 'approved', 'rejected']).optional(), ...paging }),
      async handler({ query, principal }) {
        const visible = await visibility.visibleParties(principal);
        return interception.list({ dealerIds: visible ? [...visible] : null, status: query.status, limit: query.limit, offset: query.offset });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/holds/status/:kind/:reference',
      summary: 'Whether an order or transfer may proceed (not held, or approved)',
      tags: ['region control'],
      access: { roles: ['hq'], scope: 'holds:write' },
      params: z.object({ kind, reference: code }),
      handler: ({ params }) => interception.status(params.kind, params.reference),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/holds/:id/decision',
      summary: 'Approve or reject a held order or transfer (HQ)',
      tags: ['region control'],
      access: { roles: ['hq'], scope: 'holds:write' },
      params: uuidParam,
      body: z.strictObject({ decision: z.enum(['approved', 'rejected']), note: text(500).optional() }),
      handler: ({ params, body, principal }) => interception.decide(params.id, body.decision, body.note, principal.name),
    }),
  ];
}
