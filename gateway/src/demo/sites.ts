import { jitter, regionByNames } from './geography';
import type { Random } from './random';
import type { DemoDevice, DemoParty } from './types';

/**
 * The central warehouse is in 武汉 (东西湖区, where the city's logistics parks are): 九省通衢, the crossing of
 * the 京广 and 沪汉蓉 railways and the Yangtze, within about 1,000 km of every regional warehouse but 沈阳, and
 * close to where China's births are densest (河南, 湖北, 湖南, 安徽). 郑州 would serve the north as well but
 * leaves 华南 and 西南 further away; it takes the 华中 regional warehouse instead.
 */
const WAREHOUSES: readonly { code: string; name: string; kind: 'central' | 'regional'; area: string; at: string[] }[] = [
  { code: 'WH-C01', name: '武汉中央仓', kind: 'central', area: '全国', at: ['湖北省', '武汉市', '东西湖区'] },
  { code: 'WH-R01', name: '华北区域仓(天津武清)', kind: 'regional', area: '华北', at: ['天津市', '市辖区', '武清区'] },
  { code: 'WH-R02', name: '华东区域仓(上海青浦)', kind: 'regional', area: '华东', at: ['上海市', '市辖区', '青浦区'] },
  { code: 'WH-R03', name: '华南区域仓(广州白云)', kind: 'regional', area: '华南', at: ['广东省', '广州市', '白云区'] },
  { code: 'WH-R04', name: '华中区域仓(郑州中牟)', kind: 'regional', area: '华中', at: ['河南省', '郑州市', '中牟县'] },
  { code: 'WH-R05', name: '西南区域仓(成都双流)', kind: 'regional', area: '西南', at: ['四川省', '成都市', '双流区'] },
  { code: 'WH-R06', name: '西北区域仓(西安未央)', kind: 'regional', area: '西北', at: ['陕西省', '西安市', '未央区'] },
  { code: 'WH-R07', name: '东北区域仓(沈阳于洪)', kind: 'regional', area: '东北', at: ['辽宁省', '沈阳市', '于洪区'] },
];

/**
 * Two formula plants in the northern milk belt, next to the farms, and one hygiene plant (diapers, wipes) in the
 * 嘉兴 nonwovens cluster. Sterilisation at 137 °C and class 8 filling rooms are the source document's figures.
 */
const FACTORIES = [
  {
    code: 'F-01', name: '摇篮乳业克东工厂', at: ['黑龙江省', '齐齐哈尔市', '克东县'],
    lines: [
      { line: 'L1', products: ['formula'], process: 'wet-mix, UHT, spray drying', sterilisation_c: 137, filling_room_class: 8 },
      { line: 'L2', products: ['formula'], process: 'wet-mix, UHT, spray drying', sterilisation_c: 137, filling_room_class: 8 },
    ],
  },
  {
    code: 'F-02', name: '摇篮乳业和林格尔工厂', at: ['内蒙古自治区', '呼和浩特市', '和林格尔县'],
    lines: [
      { line: 'L1', products: ['formula'], process: 'wet-mix, UHT, spray drying', sterilisation_c: 137, filling_room_class: 8 },
      { line: 'L2', products: ['baby_food'], process: 'cereal drum drying', sterilisation_c: 121, filling_room_class: 8 },
    ],
  },
  {
    code: 'F-03', name: '摇篮护理用品平湖工厂', at: ['浙江省', '嘉兴市', '平湖市'],
    lines: [
      { line: 'L1', products: ['diapers'], process: 'diaper converting', filling_room_class: 8 },
      { line: 'L2', products: ['wipes'], process: 'wipes lotion UHT and folding', sterilisation_c: 121, filling_room_class: 8 },
    ],
  },
] as const;

/** Farms on the 47° N milk belt (黑龙江, 内蒙古), each supplying the nearer formula plant. */
const FARMS = [
  { code: 'FARM-01', name: '克东黄金奶源带生态牧场', at: ['黑龙江省', '齐齐哈尔市', '克东县'], factory: 'F-01', herd: 6000 },
  { code: 'FARM-02', name: '甘南嫩江源牧场', at: ['黑龙江省', '齐齐哈尔市', '甘南县'], factory: 'F-01', herd: 4500 },
  { code: 'FARM-03', name: '嫩江有机牧场', at: ['黑龙江省', '黑河市', '嫩江市'], factory: 'F-01', herd: 3200 },
  { code: 'FARM-04', name: '扎赉特草原牧场', at: ['内蒙古自治区', '兴安盟', '扎赉特旗'], factory: 'F-02', herd: 5200 },
] as const;

export function generateSites(rnd: Random, nextGln: () => string): { sites: DemoParty[]; devices: DemoDevice[] } {
  const sites: DemoParty[] = [];
  const devices: DemoDevice[] = [];
  const site = (
    code: string, kind: 'warehouse' | 'factory' | 'farm', name: string, at: readonly string[], km: number,
    extra: Partial<DemoParty>,
  ): DemoParty => {
    const region = regionByNames(...at);
    const p: DemoParty = {
      code, kind, name, tier: null, parent_code: null, region_code: region.code, gln: nextGln(),
      ...jitter(region.lat!, region.lng!, km, rnd.next), chain: null, warehouse_kind: null, attributes: {}, ...extra,
    };
    sites.push(p);
    return p;
  };

  for (const w of WAREHOUSES) {
    site(w.code, 'warehouse', w.name, w.at, 10, {
      warehouse_kind: w.kind,
      attributes: { area: w.area, wms: w.kind === 'central' ? 'central WMS' : 'regional ERP', dock_doors: rnd.int(8, 24) },
    });
    devices.push(...edgeWithScanners(w.code, w.name, ['出库线1', '出库线2']));
  }
  for (const f of FACTORIES) {
    site(f.code, 'factory', f.name, f.at, 6, { attributes: { lines: f.lines } });
    devices.push(...edgeWithScanners(f.code, f.name, f.lines.map((l) => `${l.line} 装箱线`)));
    const formula = f.lines.some((l) => (l.products as readonly string[]).includes('formula'));
    devices.push({
      code: `${f.code}-PLC1`, kind: 'plc', name: `${f.name} 杀菌机PLC`, site_code: f.code, parent_code: `${f.code}-EA1`,
      config: formula
        ? { process: 'UHT sterilisation', setpoint_c: 137, hold_s: 4, tags: ['temperature_c', 'hold_s', 'flow_l_h'] }
        : { process: 'lotion sterilisation', setpoint_c: 121, hold_s: 15, tags: ['temperature_c', 'hold_s'] },
    });
  }
  for (const f of FARMS) {
    const farm = site(f.code, 'farm', f.name, f.at, 15, {});
    farm.attributes = {
      location: { lat: farm.lat, lng: farm.lng, band: `北纬${Math.round(farm.lat)}°` },
      supplies_factory: f.factory,
      herd_size: f.herd,
      lactating_cows: Math.round(f.herd * rnd.float(0.5, 0.6)),
      breed: '荷斯坦 Holstein',
      feed: { alfalfa_pct: 60, oat_hay_pct: 15, corn_silage_pct: 20, concentrate_pct: 5 },
      milking_times: ['04:30', '12:30', '20:30'],
      milk_yield_kg_per_cow_day: Math.round(rnd.float(32, 40) * 10) / 10,
      somatic_cells_per_ml_max: 200_000,
      certifications: rnd.chance(0.5) ? ['GAP', '有机'] : ['GAP'],
    };
  }
  return { sites, devices };
}

/** An edge agent and one scanner per line, coded `<site>-EA1`, `<site>-SC1`... */
function edgeWithScanners(siteCode: string, siteName: string, lines: readonly string[]): DemoDevice[] {
  const agent: DemoDevice = {
    code: `${siteCode}-EA1`, kind: 'edge-agent', name: `${siteName} 边缘代理`, site_code: siteCode, parent_code: null,
    config: {},
  };
  return [
    agent,
    ...lines.map((line, i): DemoDevice => ({
      code: `${siteCode}-SC${i + 1}`, kind: 'scanner', name: `${siteName} ${line}扫码器`, site_code: siteCode,
      parent_code: agent.code, config: { line, symbologies: ['gs1-datamatrix', 'gs1-128', 'qr'] },
    })),
  ];
}
