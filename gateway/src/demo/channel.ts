import { findRegion, type RegionRow } from '../regions/catalogue';
import {
  apportion,
  dealerCities,
  isMunicipality,
  jitter,
  placesWithin,
  populationOf,
  PRIORITY_CITIES,
  provinces,
  regionByNames,
  shortName,
} from './geography';
import type { Random } from './random';
import type { DemoParty } from './types';

/** The reference case's channel (DOMAIN.md): 120 first-tier dealers in 31 provinces, 800 distributors, 300 core stores. */
export const REFERENCE_SCALE = { tier1Dealers: 120, tier2Distributors: 800, coreStores: 300 } as const;

/**
 * Chains among the core stores, and the provinces where each has shops (孩子王 is national, the others regional).
 * Chain stores connect by API; independent shops use the mobile web (DOMAIN.md).
 */
const CHAINS: readonly { name: string; provinces: readonly string[] | 'all' }[] = [
  { name: '孩子王', provinces: 'all' },
  { name: '爱婴室', provinces: ['上海市', '江苏省', '浙江省', '福建省', '重庆市'] },
  { name: '乐友', provinces: ['北京市', '天津市', '河北省', '辽宁省', '山东省'] },
  { name: '丽家宝贝', provinces: ['北京市', '天津市', '河北省'] },
  { name: '贝贝熊', provinces: ['湖北省', '湖南省', '江西省', '河南省'] },
  { name: '婴贝儿', provinces: ['山东省'] },
];

const TRADE_WORDS = ['贝康', '嘉禾', '润泽', '恒信', '佳宝', '安贝', '宏达', '鑫源', '好时光', '禾丰', '宜家婴', '童星', '博瑞', '金摇篮', '晨曦'];
const COMPANY_SUFFIXES = ['商贸有限公司', '母婴用品有限公司', '贸易有限公司', '供应链管理有限公司'];
const DISTRIBUTOR_SUFFIXES = ['母婴用品经营部', '商行', '贸易商行', '母婴用品批发部'];
const SHOP_WORDS = ['贝乐', '宝贝屋', '亲亲宝贝', '爱婴坊', '小太阳', '童乐', '贝贝佳', '婴之宝', '喜洋洋', '萌宝', '育婴堂', '小脚丫', '妈咪宝贝', '蓝天使'];
const SHOP_SUFFIXES = ['母婴店', '母婴生活馆', '孕婴童', '母婴用品店'];
const GRADES = ['S', 'A', 'B', 'C', 'D'] as const;

export interface ChannelPlan {
  tier1: DemoParty[];
  tier2: DemoParty[];
  stores: DemoParty[];
}

/** Dealers bound to these regions' cities back the demo logins (see accounts.ts). */
export const DEMO_DEALER_CITIES = { dealer: ['湖北省', '武汉市'], dealer2: ['广东省', '广州市'] } as const;

export function generateChannel(rnd: Random, nextGln: () => string): ChannelPlan {
  const tier1 = firstTierDealers(rnd, nextGln);
  const weightOf = new Map(tier1.map((d) => [d.code, d.attributes.market_weight as number]));
  const tier2 = secondTierDistributors(rnd, nextGln, tier1, weightOf);
  const stores = coreStores(rnd, nextGln, tier1, tier2, weightOf);
  return { tier1, tier2, stores };
}

/**
 * One dealer per small province (bound to the province) and per municipality; several city-level dealers in
 * large provinces (capital, then the priority cities). Every region code is used once, as the unique index
 * on parties requires.
 */
function firstTierDealers(rnd: Random, nextGln: () => string): DemoParty[] {
  const all = provinces();
  const municipalities = all.filter(isMunicipality);
  const others = all.filter((p) => !isMunicipality(p));
  const shares = apportion(REFERENCE_SCALE.tier1Dealers - municipalities.length, others.map(populationOf), 1);
  const count = new Map<string, number>([
    ...municipalities.map((m) => [m.code, 1] as const),
    ...others.map((p, i) => [p.code, shares[i]!] as const),
  ]);

  const regions: { region: RegionRow; weight: number }[] = [];
  for (const province of all) {
    const n = count.get(province.code)!;
    if (n === 1) {
      regions.push({ region: province, weight: populationOf(province) });
      continue;
    }
    const cities = dealerCities(province);
    if (cities.length < n) throw new Error(`${province.name} has ${cities.length} cities for ${n} dealers`);
    const [capital, ...rest] = cities;
    const priority = PRIORITY_CITIES.flatMap((name) => rest.filter((c) => c.name === name));
    const chosen = [capital!, ...priority, ...rnd.shuffle(rest.filter((c) => !priority.includes(c)))].slice(0, n);
    // The capital and priority cities are the bigger markets: weight them above the rest.
    const weights = chosen.map((_, i) => (i === 0 ? 3 : i <= priority.length ? 2 : 1));
    const sum = weights.reduce((s, w) => s + w, 0);
    chosen.forEach((region, i) => regions.push({ region, weight: (populationOf(province) * weights[i]!) / sum }));
  }

  return regions.map(({ region, weight }, i) => {
    const at = jitter(region.lat!, region.lng!, 8, rnd.next);
    return {
      code: `D1-${String(i + 1).padStart(4, '0')}`,
      kind: 'dealer',
      name: `${shortName(region)}${rnd.pick(TRADE_WORDS)}${rnd.pick(COMPANY_SUFFIXES)}`,
      tier: 1,
      parent_code: null,
      region_code: region.code,
      gln: nextGln(),
      ...at,
      chain: null,
      warehouse_kind: null,
      attributes: {
        market_weight: Math.round(weight * 100) / 100,
        grade: rnd.weighted(GRADES, (g) => ({ S: 1, A: 3, B: 4, C: 2, D: 1 })[g]),
        credit_limit_cny: rnd.int(20, 300) * 10_000,
        contact: contactPerson(rnd),
      },
    };
  });
}

function secondTierDistributors(
  rnd: Random,
  nextGln: () => string,
  tier1: DemoParty[],
  weightOf: Map<string, number>,
): DemoParty[] {
  const shares = apportion(REFERENCE_SCALE.tier2Distributors, tier1.map((d) => weightOf.get(d.code)!), 2);
  const out: DemoParty[] = [];
  tier1.forEach((dealer, i) => {
    // Spread over distinct counties first, as a dealer recruits one distributor per county it covers.
    const places = rnd.shuffle(placesWithin(dealer.region_code));
    for (let k = 0; k < shares[i]!; k++) {
      const place = places[k % places.length]!;
      out.push({
        code: `D2-${String(out.length + 1).padStart(4, '0')}`,
        kind: 'dealer',
        name: `${shortName(place)}${rnd.pick(TRADE_WORDS)}${rnd.pick(DISTRIBUTOR_SUFFIXES)}`,
        tier: 2,
        parent_code: dealer.code,
        region_code: place.code,
        gln: nextGln(),
        ...jitter(place.lat!, place.lng!, 5, rnd.next),
        chain: null,
        warehouse_kind: null,
        attributes: { contact: contactPerson(rnd), credit_limit_cny: rnd.int(3, 50) * 10_000 },
      });
    }
  });
  return out;
}

/**
 * 300 stores: every first-tier network gets one, the rest follow market weight. A store is supplied by the
 * first-tier dealer itself (about a third) or by one of its distributors, and sits in a county of the supplier's
 * region. The demo dealer's network gets a directly supplied store and a distributor-supplied one, for the demo logins.
 */
function coreStores(
  rnd: Random,
  nextGln: () => string,
  tier1: DemoParty[],
  tier2: DemoParty[],
  weightOf: Map<string, number>,
): DemoParty[] {
  const distributorsOf = new Map<string, DemoParty[]>();
  for (const d of tier2) distributorsOf.set(d.parent_code!, [...(distributorsOf.get(d.parent_code!) ?? []), d]);

  const demoDealer = dealerFor(tier1, DEMO_DEALER_CITIES.dealer);
  const plan: { network: DemoParty; via?: 'direct' | 'distributor' }[] = [
    { network: demoDealer, via: 'direct' },
    { network: demoDealer, via: 'distributor' },
    ...tier1.filter((d) => d !== demoDealer).map((network) => ({ network })),
  ];
  while (plan.length < REFERENCE_SCALE.coreStores) {
    plan.push({ network: rnd.weighted(tier1, (d) => weightOf.get(d.code)!) });
  }

  return plan.map(({ network, via }, i) => {
    const distributors = distributorsOf.get(network.code) ?? [];
    const direct = via ? via === 'direct' : distributors.length === 0 || rnd.chance(0.35);
    const supplier = direct ? network : rnd.pick(distributors);
    const place = rnd.pick(placesWithin(supplier.region_code));
    const province = findRegion(place.province_code)!;
    const chains = CHAINS.filter((c) => c.provinces === 'all' || c.provinces.includes(province.name));
    const chain = rnd.chance(0.25) ? rnd.pick(chains).name : null;
    return {
      code: `S-${String(i + 1).padStart(4, '0')}`,
      kind: 'store',
      name: chain ? `${chain}(${shortName(place)}店)` : `${shortName(place)}${rnd.pick(SHOP_WORDS)}${rnd.pick(SHOP_SUFFIXES)}`,
      tier: null,
      parent_code: supplier.code,
      region_code: place.code,
      gln: nextGln(),
      ...jitter(place.lat!, place.lng!, 4, rnd.next),
      chain,
      warehouse_kind: null,
      attributes: { integration: chain ? 'api' : 'mobile-web', floor_area_m2: rnd.int(60, chain ? 3000 : 300) },
    };
  });
}

/** The first-tier dealer bound to the named city; throws when the plan has none. */
export function dealerFor(tier1: readonly DemoParty[], names: readonly string[]): DemoParty {
  const region = regionByNames(...names);
  const d = tier1.find((p) => p.region_code === region.code);
  if (!d) throw new Error(`no first-tier dealer for ${names.join(' / ')}`);
  return d;
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红鹏建文辉力琳晶慧婷颖欣雪梅蕾倩佳悦思怡晨宇浩然子轩梓涵雨桐';

/** A plausible Chinese name: surname and one or two given characters. */
export function personName(rnd: Random): string {
  const given = rnd.chance(0.7) ? rnd.pick([...GIVEN]) + rnd.pick([...GIVEN]) : rnd.pick([...GIVEN]);
  return rnd.pick([...SURNAMES]) + given;
}

const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '156', '158', '159', '177', '180', '182', '183', '185', '186', '187', '188', '189', '199'];

/** A masked mobile number, 138****1234: demo data must never hold a real person's number. */
export function maskedPhone(rnd: Random): string {
  return `${rnd.pick(MOBILE_PREFIXES)}****${String(rnd.int(0, 9999)).padStart(4, '0')}`;
}

function contactPerson(rnd: Random): { name: string; phone: string } {
  return { name: personName(rnd), phone: maskedPhone(rnd) };
}
