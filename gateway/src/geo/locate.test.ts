import { openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import { importRegions } from '../regions/catalogue';
import { createRegionService, type RegionService } from '../regions/service';
import { createCountyLocator, type CountyLocator } from './locate';

describe('latitude/longitude → county', () => {
  let db: TestDatabase;
  let regions: RegionService;
  let locator: CountyLocator;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    await importRegions(db.db);
    regions = await createRegionService(db.db);
    locator = createCountyLocator(regions);
  }, 60_000);
  afterAll(() => db?.dispose());

  it.each([
    ['Tiananmen, Beijing', 39.9087, 116.3975, '110101'],
    ['Zhangjiang, Shanghai Pudong', 31.2033, 121.5907, '310115'],
    ['Wuhan, Jianghan district', 30.6013, 114.2706, '420103'],
    ['Lhasa, Chengguan', 29.6525, 91.1721, '540102'],
    ['Urumqi, Tianshan district', 43.7930, 87.6271, '650102'],
  ])('places %s in its county', (_name, lat, lng, code) => {
    expect(locator.locate(lat, lng)?.regionCode).toBe(code);
  });

  it('places nothing far from every county seat', () => {
    expect(locator.locate(0, 0)).toBeUndefined();
    expect(locator.locate(20, 135)).toBeUndefined();
  });

  it('measures the distance to a region: 0 inside, growing with distance outside', () => {
    const wuhan = ['420100'];
    expect(locator.distanceToRegionKm(30.6013, 114.2706, wuhan)).toBe(0);
    // 鄂州 city centre is ~60 km east of central Wuhan, a few km beyond Wuhan's eastern edge.
    const ezhou = locator.distanceToRegionKm(30.39, 114.89, wuhan)!;
    // 长沙 is ~300 km away.
    const changsha = locator.distanceToRegionKm(28.2282, 112.9388, wuhan)!;
    expect(ezhou).toBeGreaterThan(0);
    expect(ezhou).toBeLessThan(40);
    expect(changsha).toBeGreaterThan(150);
  });

  it('indexes every county-level place that has a seat of its own', () => {
    expect(locator.seatCount).toBeGreaterThan(2500);
  });
});
