import { z } from 'zod';
import { HttpProblem } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { latitude, longitude } from '../platform/http/schemas';
import type { RegionService } from '../regions/service';
import type { CountyLocator } from './locate';

export function geoRoutes({ locator, regions }: { locator: CountyLocator; regions: RegionService }): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/geo/locate',
      summary: 'The county (GB/T 2260) a latitude/longitude lies in, by nearest county seat, with its lineage',
      tags: ['region control'],
      access: { roles: ['hq', 'dealer', 'store'], scope: 'masterdata:read' },
      body: z.strictObject({ lat: latitude, lng: longitude }),
      handler({ body }) {
        const hit = locator.locate(body.lat, body.lng);
        if (!hit) throw new HttpProblem('not-found', `No county seat lies within reach of ${body.lat}, ${body.lng}`);
        return {
          region_code: hit.regionCode,
          seat_distance_km: Math.round(hit.seatDistanceKm * 10) / 10,
          method: 'nearest-county-seat',
          lineage: regions.lineage(hit.regionCode).map((r) => ({ code: r.code, name: r.name, level: r.level })),
        };
      },
    }),
  ];
}
