import { openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import {
  ancestorsOf,
  childrenOf,
  countRegions,
  findRegion,
  importRegions,
  isValidRegionCode,
  isWithinRegion,
  loadRegionCatalogue,
  regionLevel,
} from './catalogue';

describe('GB/T 2260 catalogue', () => {
  const rows = loadRegionCatalogue();

  it('holds the 31 mainland provinces, their cities and counties as six-digit codes', () => {
    const byLevel = (l: string) => rows.filter((r) => r.level === l).length;
    expect(byLevel('province')).toBe(31);
    expect(byLevel('city')).toBeGreaterThan(330);
    expect(byLevel('county')).toBeGreaterThan(2900);
    expect(rows.every((r) => /^\d{6}$/.test(r.code))).toBe(true);
    expect(new Set(rows.map((r) => r.code)).size).toBe(rows.length);
    expect(findRegion('110000')).toMatchObject({ name: '北京市', level: 'province', parent_code: null, province_code: '110000' });
    expect(findRegion('420100')).toMatchObject({ name: '武汉市', level: 'city', parent_code: '420000' });
    expect(findRegion('440305')).toMatchObject({ name: '南山区', level: 'county', parent_code: '440300', province_code: '440000' });
  });

  it('lists every parent before its children', () => {
    const seen = new Set<string>();
    for (const r of rows) {
      if (r.parent_code) expect(seen.has(r.parent_code)).toBe(true);
      seen.add(r.code);
    }
  });

  it('keeps the municipalities’ 市辖区 city rows as the package gives them', () => {
    expect(findRegion('110100')).toMatchObject({ name: '市辖区', level: 'city', parent_code: '110000' });
    expect(ancestorsOf('110108')).toEqual(['110100', '110000']); // 海淀区
    expect(ancestorsOf('500101')).toEqual(['500100', '500000']); // 重庆 万州区
  });

  it('treats a city without counties (东莞) as one leaf row', () => {
    expect(findRegion('441900')).toMatchObject({ name: '东莞市', level: 'city', parent_code: '440000' });
    expect(childrenOf('441900')).toEqual([]);
  });

  it('walks ancestors county → city → province and checks containment', () => {
    expect(ancestorsOf('420106')).toEqual(['420100', '420000']); // 武昌区
    expect(ancestorsOf('420100')).toEqual(['420000']);
    expect(ancestorsOf('420000')).toEqual([]);
    expect(ancestorsOf('999999')).toEqual([]);
    expect(isWithinRegion('420106', '420000')).toBe(true);
    expect(isWithinRegion('420106', '420106')).toBe(true);
    expect(isWithinRegion('420106', '430000')).toBe(false);
    expect(regionLevel('420106')).toBe('county');
    expect(regionLevel('420100')).toBe('city');
    expect(regionLevel('123456')).toBeUndefined();
    expect(isValidRegionCode('420106')).toBe(true);
    expect(isValidRegionCode('420199')).toBe(false);
    expect(isValidRegionCode('4201')).toBe(false);
  });

  it('places every region at a point inside China, near where it really is', () => {
    for (const r of rows) {
      expect(r.lat).not.toBeNull();
      expect(r.lat!).toBeGreaterThan(3);
      expect(r.lat!).toBeLessThan(54);
      expect(r.lng!).toBeGreaterThan(73);
      expect(r.lng!).toBeLessThan(136);
    }
    // Known seats, within about 0.3° (the source's county points are seats, within a few km).
    const near = (code: string, lat: number, lng: number) => {
      const r = findRegion(code)!;
      expect(Math.abs(r.lat! - lat)).toBeLessThan(0.3);
      expect(Math.abs(r.lng! - lng)).toBeLessThan(0.3);
    };
    near('420000', 30.59, 114.3); // 湖北 → 武汉
    near('650000', 43.83, 87.62); // 新疆 → 乌鲁木齐
    near('230000', 45.8, 126.53); // 黑龙江 → 哈尔滨
    near('440300', 22.54, 114.06); // 深圳
    near('110119', 40.46, 115.97); // 延庆区
    near('540102', 29.65, 91.13); // 拉萨 城关区
  });
});

describe.each(['pglite', 'postgres'] as const)('importRegions on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => t?.dispose());

  it('imports the whole catalogue once and nothing on a second run', async () => {
    const total = loadRegionCatalogue().length;
    expect(await importRegions(t.db)).toBe(total);
    expect(await countRegions(t.db)).toBe(total);
    expect(await importRegions(t.db)).toBe(0);
    const row = await t.db.selectFrom('regions').selectAll().where('code', '=', '440305').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: '南山区', level: 'county', parent_code: '440300', province_code: '440000' });
    expect(row.lat).toBeCloseTo(findRegion('440305')!.lat!, 6);
  });
});
