import { z } from 'zod';
import { notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { paging, regionCode } from '../platform/http/schemas';
import type { RegionService } from './service';

const region = z.object({
  code: z.string(),
  name: z.string(),
  level: z.enum(['province', 'city', 'county']),
  parent_code: z.string().nullable(),
  province_code: z.string(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
});
const read = { roles: ['hq', 'dealer', 'store'], scope: 'masterdata:read' } as const;

export function regionRoutes(regions: RegionService): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/regions',
      summary: 'GB/T 2260 regions, filtered by level and parent',
      tags: ['master data'],
      access: read,
      query: z.strictObject({
        level: z.enum(['province', 'city', 'county']).optional(),
        parent: regionCode.optional(),
        q: z.string().max(40).optional(),
        ...paging,
      }),
      response: z.object({ items: z.array(region), total: z.number(), limit: z.number(), offset: z.number() }),
      handler({ query }) {
        let rows = query.parent ? regions.children(query.parent) : regions.all();
        if (query.level) rows = rows.filter((r) => r.level === query.level);
        if (query.q) rows = rows.filter((r) => r.name.includes(query.q!) || r.code.startsWith(query.q!));
        return { items: rows.slice(query.offset, query.offset + query.limit), total: rows.length, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/regions/:code',
      summary: 'One region with its lineage up to the province',
      tags: ['master data'],
      access: read,
      params: z.object({ code: regionCode }),
      handler({ params }) {
        const r = regions.get(params.code);
        if (!r) throw notFound(`Region ${params.code}`);
        return { ...r, lineage: regions.lineage(params.code).slice(1), children: regions.children(params.code).length };
      },
    }),
  ];
}
