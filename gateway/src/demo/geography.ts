import { childrenOf, findRegion, loadRegionCatalogue, type RegionRow } from '../regions/catalogue';

/**
 * Resident population by province, millions, from the 7th national census (2020), rounded. It sizes each
 * province's share of dealers, distributors and stores: a baby-products channel follows births, and births
 * follow population closely enough for demo data.
 */
export const PROVINCE_POPULATION_MILLIONS: Readonly<Record<string, number>> = {
  北京市: 22, 天津市: 14, 河北省: 75, 山西省: 35, 内蒙古自治区: 24, 辽宁省: 43, 吉林省: 24, 黑龙江省: 32,
  上海市: 25, 江苏省: 85, 浙江省: 65, 安徽省: 61, 福建省: 42, 江西省: 45, 山东省: 102, 河南省: 99,
  湖北省: 58, 湖南省: 66, 广东省: 126, 广西壮族自治区: 50, 海南省: 10, 重庆市: 32, 四川省: 84, 贵州省: 39,
  云南省: 47, 西藏自治区: 4, 陕西省: 40, 甘肃省: 25, 青海省: 6, 宁夏回族自治区: 7, 新疆维吾尔自治区: 26,
};

/**
 * Large non-capital markets a brand covers first with their own dealer, in priority order; the capital
 * (always city xx01 in GB/T 2260) comes before them, and the province's other cities after, in seeded order.
 */
export const PRIORITY_CITIES: readonly string[] = [
  '深圳市', '佛山市', '东莞市', '苏州市', '无锡市', '宁波市', '温州市', '青岛市', '烟台市', '厦门市', '泉州市',
  '大连市', '洛阳市', '宜昌市', '襄阳市', '绵阳市', '柳州市', '桂林市', '包头市', '鄂尔多斯市', '唐山市',
  '保定市', '徐州市', '常州市', '南通市', '嘉兴市', '金华市', '台州市', '芜湖市', '赣州市', '株洲市', '岳阳市',
  '遵义市', '曲靖市', '潍坊市', '临沂市', '济宁市', '南阳市', '新乡市', '邯郸市', '榆林市', '宝鸡市', '三亚市',
];

export function provinces(): RegionRow[] {
  return loadRegionCatalogue().filter((r) => r.level === 'province');
}

export function populationOf(province: RegionRow): number {
  const p = PROVINCE_POPULATION_MILLIONS[province.name];
  if (p === undefined) throw new Error(`no population for province ${province.code} ${province.name}`);
  return p;
}

/** A municipality (北京, 天津, 上海, 重庆): its cities are the package's 市辖区 / 县 rows, not real cities. */
export function isMunicipality(province: RegionRow): boolean {
  return childrenOf(province.code).some((c) => c.name === '市辖区');
}

/** Cities a dealer can be bound to: not the "county-level cities administered by the province" bucket. */
export function dealerCities(province: RegionRow): RegionRow[] {
  return childrenOf(province.code).filter((c) => !c.name.includes('直辖'));
}

/**
 * The places a store or second-tier distributor can be: the counties beneath `code` (or `code` itself when it
 * has none, as 东莞). Functional zones, coded 71–79 (经济开发区, 高新区), are left out: nobody lives in a code.
 */
export function placesWithin(code: string): RegionRow[] {
  const r = findRegion(code);
  if (!r) throw new Error(`unknown region ${code}`);
  const kids = childrenOf(code);
  if (kids.length === 0) return [r];
  return kids.flatMap((k) => placesWithin(k.code)).filter((p) => !/^7\d$/.test(p.code.slice(4)));
}

/** Finds a region by names, province first ('湖北省', '武汉市', '东西湖区'); throws when the catalogue lacks it. */
export function regionByNames(...names: string[]): RegionRow {
  let candidates = provinces();
  let found: RegionRow | undefined;
  for (const name of names) {
    found = candidates.find((r) => r.name === name);
    if (!found) throw new Error(`no region named ${names.join(' / ')}`);
    candidates = [...childrenOf(found.code)];
  }
  if (!found) throw new Error('regionByNames needs a name');
  return found;
}

/** 东西湖区 → 东西湖, 武汉市 → 武汉, 内蒙古自治区 → 内蒙古: the name people say. */
export function shortName(r: RegionRow): string {
  if (r.name.length <= 2) return r.name;
  return r.name.replace(/(维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)$/, '') || r.name;
}

/** A point within about `km` of (lat, lng), for sites that sit near, not on, a county seat. */
export function jitter(lat: number, lng: number, km: number, next: () => number): { lat: number; lng: number } {
  const dLat = ((next() * 2 - 1) * km) / 111;
  const dLng = ((next() * 2 - 1) * km) / (111 * Math.cos((lat * Math.PI) / 180));
  return { lat: round(lat + dLat), lng: round(lng + dLng) };
}

function round(n: number): number {
  return Math.round(n * 1e5) / 1e5;
}

/**
 * Splits `total` into integer parts proportional to `weights`, each at least `min` (largest remainder).
 */
export function apportion(total: number, weights: readonly number[], min = 0): number[] {
  const free = total - min * weights.length;
  if (free < 0) throw new Error(`cannot give ${weights.length} parts at least ${min} from ${total}`);
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (free * w) / sum);
  const parts = exact.map((e) => Math.floor(e));
  let left = free - parts.reduce((s, p) => s + p, 0);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    parts[i]!++;
  }
  return parts.map((p) => p + min);
}
