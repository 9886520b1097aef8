import { isValidGln, isValidGtin } from '@cradle/protocol';
import { findRegion, isWithinRegion, regionLevel } from '../regions/catalogue';
import { DEMO_ACCOUNTS } from './accounts';
import { REFERENCE_SCALE } from './channel';
import { demoGln, demoGtin } from './identifiers';
import { generateDemoNetwork } from './network';
import type { DemoParty } from './types';

const network = generateDemoNetwork();
const byCode = new Map(network.parties.map((p) => [p.code, p]));
const ofKind = (kind: DemoParty['kind'], tier?: 1 | 2) =>
  network.parties.filter((p) => p.kind === kind && (tier === undefined || p.tier === tier));

describe('generateDemoNetwork', () => {
  it('is deterministic: the same seed gives an equal network, another seed a different one', () => {
    expect(generateDemoNetwork(2026)).toEqual(network);
    const other = generateDemoNetwork(7);
    expect(other).not.toEqual(network);
    expect(other.parties.map((p) => p.region_code)).not.toEqual(network.parties.map((p) => p.region_code));
  });

  it('has the reference scale: 120 dealers in 31 provinces, 800 distributors, 300 stores, 1 + 7 warehouses', () => {
    const tier1 = ofKind('dealer', 1);
    expect(tier1).toHaveLength(REFERENCE_SCALE.tier1Dealers);
    expect(new Set(tier1.map((d) => findRegion(d.region_code)!.province_code)).size).toBe(31);
    expect(ofKind('dealer', 2)).toHaveLength(REFERENCE_SCALE.tier2Distributors);
    expect(ofKind('store')).toHaveLength(REFERENCE_SCALE.coreStores);
    expect(ofKind('warehouse').filter((w) => w.warehouse_kind === 'central')).toHaveLength(1);
    expect(ofKind('warehouse').filter((w) => w.warehouse_kind === 'regional').map((w) => w.attributes.area).sort()).toEqual(
      ['东北', '华东', '华中', '华北', '华南', '西北', '西南'].sort(),
    );
    expect(ofKind('factory').length).toBeGreaterThanOrEqual(2);
    expect(ofKind('farm').length).toBeGreaterThanOrEqual(3);
    expect(network.skus.length).toBeGreaterThanOrEqual(500);
    expect(network.members).toHaveLength(2000);
  });

  it('uses the party code scheme and never repeats a code', () => {
    expect(new Set(network.parties.map((p) => p.code)).size).toBe(network.parties.length);
    expect(ofKind('dealer', 1)[0]!.code).toBe('D1-0001');
    expect(ofKind('dealer', 2).every((d) => /^D2-\d{4}$/.test(d.code))).toBe(true);
    expect(ofKind('store').every((d) => /^S-\d{4}$/.test(d.code))).toBe(true);
    expect(byCode.get('WH-C01')?.warehouse_kind).toBe('central');
    expect(byCode.get('WH-R07')?.warehouse_kind).toBe('regional');
    expect(byCode.get('F-01')?.kind).toBe('factory');
    expect(byCode.get('FARM-01')?.kind).toBe('farm');
  });

  it('gives every GTIN and GLN a valid GS1 check digit, each used once', () => {
    expect(demoGtin(1)).toBe('06923456000018'); // check digit worked by hand: 72 → 8
    expect(isValidGtin(demoGtin(99_999))).toBe(true);
    expect(isValidGln(demoGln(1))).toBe(true);
    const gtins = network.skus.map((s) => s.gtin);
    const glns = network.parties.map((p) => p.gln);
    expect(gtins.every((g) => /^069[0-5]\d{10}$/.test(g) && isValidGtin(g))).toBe(true);
    expect(glns.every((g) => isValidGln(g) && /^69[0-5]/.test(g))).toBe(true);
    expect(new Set(gtins).size).toBe(gtins.length);
    expect(new Set(glns).size).toBe(glns.length);
  });

  it('binds each first-tier dealer to its own region code, at province or city level', () => {
    const tier1 = ofKind('dealer', 1);
    expect(new Set(tier1.map((d) => d.region_code)).size).toBe(tier1.length);
    for (const d of tier1) expect(['province', 'city']).toContain(regionLevel(d.region_code));
    // Large provinces are split by city; 广东 has dealers for 广州 and 深圳.
    const guangdong = tier1.filter((d) => d.region_code.startsWith('44')).map((d) => findRegion(d.region_code)!.name);
    expect(guangdong).toEqual(expect.arrayContaining(['广州市', '深圳市', '佛山市']));
    // A province-level dealer and a city-level one never share a province (their regions would overlap).
    for (const a of tier1) for (const b of tier1) if (a !== b) expect(isWithinRegion(a.region_code, b.region_code)).toBe(false);
  });

  it('places every distributor and store inside its supplier’s region', () => {
    for (const d of ofKind('dealer', 2)) {
      const parent = byCode.get(d.parent_code!)!;
      expect(parent.tier).toBe(1);
      expect(isWithinRegion(d.region_code, parent.region_code)).toBe(true);
    }
    for (const s of ofKind('store')) {
      const supplier = byCode.get(s.parent_code!)!;
      expect(supplier.kind).toBe('dealer');
      expect(isWithinRegion(s.region_code, supplier.region_code)).toBe(true);
      expect(findRegion(s.region_code)!.lat).not.toBeNull();
      // Within ~10 km of the county's point.
      expect(Math.abs(s.lat - findRegion(s.region_code)!.lat!)).toBeLessThan(0.1);
    }
    const suppliedByTier = (t: 1 | 2) => ofKind('store').filter((s) => byCode.get(s.parent_code!)!.tier === t).length;
    expect(suppliedByTier(1)).toBeGreaterThan(30);
    expect(suppliedByTier(2)).toBeGreaterThan(100);
  });

  it('mixes chain stores (API) among mostly independent shops (mobile web)', () => {
    const chains = ofKind('store').filter((s) => s.chain);
    expect(chains.length).toBeGreaterThan(30);
    expect(chains.length).toBeLessThan(150);
    expect(new Set(chains.map((s) => s.chain))).toContain('孩子王');
    expect(chains.every((s) => s.attributes.integration === 'api')).toBe(true);
  });

  it('builds formula and diaper SKUs by the catalogue rules', () => {
    const formula = network.skus.filter((s) => s.category === 'formula');
    expect(formula.length).toBeGreaterThanOrEqual(4 * 3);
    for (const f of formula) expect(f).toMatchObject({ units_per_case: 6, shelf_life_days: 720, expiry_warning_days: 180, size: null });
    for (const stage of ['1段', '2段', '3段', '4段']) for (const g of ['400g', '800g', '900g']) {
      expect(formula.some((f) => f.name.includes(stage) && f.name.endsWith(g))).toBe(true);
    }
    const diapers = network.skus.filter((s) => s.category === 'diapers');
    expect(new Set(diapers.map((d) => d.size))).toEqual(new Set(['NB', 'S', 'M', 'L', 'XL']));
    expect(network.skus.filter((s) => s.category !== 'diapers').every((s) => s.size === null)).toBe(true);
    expect(new Set(network.skus.map((s) => s.category))).toEqual(new Set(['formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags']));
  });

  it('equips warehouses and factories with edge agents, scanners and the steriliser PLC', () => {
    for (const w of ofKind('warehouse')) {
      const ds = network.devices.filter((d) => d.site_code === w.code);
      expect(ds.filter((d) => d.kind === 'edge-agent').map((d) => d.code)).toEqual([`${w.code}-EA1`]);
      expect(ds.filter((d) => d.kind === 'scanner')).toHaveLength(2);
    }
    for (const f of ofKind('factory')) {
      const ds = network.devices.filter((d) => d.site_code === f.code);
      expect(ds.map((d) => d.kind).sort()).toEqual(expect.arrayContaining(['edge-agent', 'plc', 'scanner']));
      expect(ds.filter((d) => d.kind !== 'edge-agent').every((d) => d.parent_code === `${f.code}-EA1`)).toBe(true);
    }
    expect(new Set(network.devices.map((d) => d.code)).size).toBe(network.devices.length);
  });

  it('records the farms’ key data on the northern milk belt', () => {
    for (const farm of ofKind('farm')) {
      expect(farm.lat).toBeGreaterThan(45);
      expect(farm.attributes).toMatchObject({ feed: { alfalfa_pct: 60 }, herd_size: expect.any(Number) });
      expect(byCode.get(farm.attributes.supplies_factory as string)?.kind).toBe('factory');
    }
  });

  it('gives members masked phones, a store’s region and a baby born in the last three years', () => {
    const stores = new Set(ofKind('store').map((s) => s.code));
    for (const m of network.members) {
      expect(m.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
      expect(stores.has(m.store_code)).toBe(true);
      expect(m.region_code).toBe(byCode.get(m.store_code)!.region_code);
      expect(m.baby_birth_date <= network.today).toBe(true);
      expect(m.baby_birth_date >= '2023-01-01').toBe(true);
    }
    expect(new Set(network.members.map((m) => m.store_code)).size).toBe(300);
  });

  it('binds the demo accounts for permission tests', () => {
    const user = (username: string) => network.users.find((u) => u.username === username)!;
    expect(network.users.map((u) => u.username).sort()).toEqual(Object.values(DEMO_ACCOUNTS).sort());
    expect(user(DEMO_ACCOUNTS.hq)).toMatchObject({ role: 'hq', party_code: null });
    const dealer = byCode.get(user(DEMO_ACCOUNTS.dealer).party_code!)!;
    const dealer2 = byCode.get(user(DEMO_ACCOUNTS.dealer2).party_code!)!;
    expect(dealer.tier).toBe(1);
    expect(dealer2.tier).toBe(1);
    expect(dealer2.code).not.toBe(dealer.code);
    const store = byCode.get(user(DEMO_ACCOUNTS.store).party_code!)!;
    const store2 = byCode.get(user(DEMO_ACCOUNTS.store2).party_code!)!;
    expect(store.parent_code).toBe(dealer.code);
    expect(byCode.get(store2.parent_code!)!.parent_code).toBe(dealer.code);
    for (const s of [store, store2]) expect(isWithinRegion(s.region_code, dealer2.region_code)).toBe(false);
  });
});

