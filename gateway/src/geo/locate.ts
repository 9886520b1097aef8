import KDBush from 'kdbush';
import { around, distance } from 'geokdbush';
import type { RegionService } from '../regions/service';

/** A county-level place with its seat's coordinates (from the regions catalogue, see regions/coordinates.generate.ts). */
interface Seat {
  code: string;
  lat: number;
  lng: number;
}

export interface CountyHit {
  regionCode: string;
  /** Distance from the point to that county's seat, km. */
  seatDistanceKm: number;
}

/** Beyond this distance from every county seat a point is not placed at all (at sea, abroad, or nonsense). */
const MAX_SEAT_DISTANCE_KM = 250;

/**
 * Latitude/longitude → county, by the nearest county seat (a Voronoi partition of the ~2,800 seats): there is no
 * maintained, redistributable county boundary set in the registries we may use. Away from borders this is right;
 * near a border the cell edge can sit several km (in the west, tens of km) from the true boundary, which is why the
 * diversion rules give consumer-located scans a border tolerance (see docs/diversion.md).
 */
export function createCountyLocator(regions: RegionService) {
  const seen = new Set<string>();
  const seats: Seat[] = [];
  for (const r of regions.all()) {
    if (r.lat === null || r.lng === null) continue;
    const leaf = regions.children(r.code).length === 0;
    // Functional zones (经济开发区, codes xxxx7x) have no seat of their own: they carry their city's point.
    if (!leaf || /7\d$/.test(r.code)) continue;
    const key = `${r.lat},${r.lng}`;
    if (seen.has(key)) continue;
    seen.add(key);
    seats.push({ code: r.code, lat: r.lat, lng: r.lng });
  }
  const index = new KDBush(seats, (s) => s.lng, (s) => s.lat);

  /** Planar km coordinates around a latitude, good enough for the few hundred km a bisector spans. */
  const project = (lat0: number) => (p: { lat: number; lng: number }) => ({ x: p.lng * 111.32 * Math.cos((lat0 * Math.PI) / 180), y: p.lat * 110.57 });

  function locate(lat: number, lng: number): CountyHit | undefined {
    const [nearest] = around(index, lng, lat, 1, MAX_SEAT_DISTANCE_KM);
    if (!nearest) return undefined;
    return { regionCode: nearest.code, seatDistanceKm: distance(lng, lat, nearest.lng, nearest.lat) };
  }

  /**
   * Approximate distance (km) from a point to the union of the cells of `codes` (and everything beneath them): 0
   * when the point's nearest seat lies inside. A cell is the intersection of half-planes bounded by the bisectors
   * between its seat b and its neighbours c; p lies (|pb|² − |pc|²) / 2|bc| beyond the bisector with c, and the
   * largest of those is a close lower bound of its distance to the cell. The nearest few inside cells give the minimum.
   */
  function distanceToRegionKm(lat: number, lng: number, codes: readonly string[]): number | undefined {
    const inside = (s: Seat) => regions.lineage(s.code).some((r) => codes.includes(r.code));
    const [a] = around(index, lng, lat, 1);
    if (!a) return undefined;
    if (inside(a)) return 0;
    const candidates = around(index, lng, lat, 6, Infinity, inside);
    if (candidates.length === 0) return undefined;
    const xy = project(lat);
    const p = xy({ lat, lng });
    const d2 = (u: { x: number; y: number }, v: { x: number; y: number }) => (u.x - v.x) ** 2 + (u.y - v.y) ** 2;
    let best = Infinity;
    for (const b of candidates) {
      const pb = xy(b);
      let beyond = 0;
      for (const c of around(index, b.lng, b.lat, 16, Infinity, (s) => !inside(s))) {
        const pc = xy(c);
        const bc = Math.sqrt(d2(pb, pc));
        if (bc > 0) beyond = Math.max(beyond, (d2(p, pb) - d2(p, pc)) / (2 * bc));
      }
      best = Math.min(best, beyond);
    }
    return Number.isFinite(best) ? best : undefined;
  }

  /** The seat of a place (county or, for a city or province, its seat), for distances from a party-located scan. */
  function seatOf(code: string): { lat: number; lng: number } | undefined {
    const r = regions.get(code);
    return r && r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : undefined;
  }

  return { locate, distanceToRegionKm, seatOf, seatCount: seats.length, distanceKm: (a: { lat: number; lng: number }, b: { lat: number; lng: number }) => distance(a.lng, a.lat, b.lng, b.lat) };
}

export type CountyLocator = ReturnType<typeof createCountyLocator>;
