import { DRIVERS, openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import type { MovementInput } from './model';
import { createStockService, type StockService } from './service';
import { seedStockFixture, type StockFixture, TEST_GTINS } from './testing';

const at = (s: string) => new Date(s);

describe.each(DRIVERS)('stock ledger on %s', (driver) => {
  let t: TestDatabase;
  let f: StockFixture;
  let stock: StockService;
  let n = 0;
  const key = () => `test:${driver}:${++n}`;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    f = await seedStockFixture(t.db);
    stock = createStockService({ db: t.db, clock: () => at('2026-05-01T12:00:00+08:00') });
  });
  afterAll(() => t.dispose());

  const balance = async (skuId: string, locationId: string, batch: string) =>
    (await t.db.selectFrom('stock_balances').select(['on_hand', 'reserved', 'in_transit']).where('sku_id', '=', skuId).where('location_id', '=', locationId).where('batch', '=', batch).executeTakeFirst()) ?? null;
  const mv = (over: Partial<MovementInput>): MovementInput => ({
    idempotencyKey: key(), source: 'wms-central', reason: 'receipt', skuId: f.skus.formula, batch: 'B1', expiryDate: '2027-01-31',
    locationId: f.parties.central, onHand: 10, occurredAt: at('2026-05-01T08:00:00+08:00'), ...over,
  });

  it('applies the same movement delivered three times once, even when the deliveries race', async () => {
    const m = mv({ batch: 'DUP', onHand: 24 });
    const first = await stock.recordMovements([m]);
    const racing = await Promise.all([stock.recordMovements([m]), stock.recordMovements([m])]);
    expect(first[0]!.status).toBe('applied');
    expect(racing.map((r) => r[0]!.status)).toEqual(['duplicate', 'duplicate']);
    expect(await balance(f.skus.formula, f.parties.central, 'DUP')).toEqual({ on_hand: 24, reserved: 0, in_transit: 0 });
    const count = await t.db.selectFrom('stock_movements').select((eb) => eb.fn.countAll<number>().as('n')).where('idempotency_key', '=', m.idempotencyKey).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('applies duplicates inside one delivery once, and racing deliveries of one key once', async () => {
    const m = mv({ batch: 'DUP2', onHand: 5 });
    const r = await stock.recordMovements([m, m, m]);
    expect(r.map((o) => o.status)).toEqual(['applied', 'duplicate', 'duplicate']);
    const k = mv({ batch: 'RACE', onHand: 7 });
    const raced = await Promise.all([1, 2, 3].map(() => stock.recordMovements([k])));
    expect(raced.map((x) => x[0]!.status).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect((await balance(f.skus.formula, f.parties.central, 'DUP2'))!.on_hand).toBe(5);
    expect((await balance(f.skus.formula, f.parties.central, 'RACE'))!.on_hand).toBe(7);
  });

  it('refuses a key reused for a different movement and changes nothing in that call', async () => {
    const m = mv({ batch: 'CONF', onHand: 3 });
    await stock.recordMovements([m]);
    const other = mv({ batch: 'CONF-OTHER', onHand: 9 });
    await expect(stock.recordMovements([other, { ...m, onHand: 4 }])).rejects.toMatchObject({ code: 'STOCK_KEY_CONFLICT', field: 'movements.1.idempotency_key' });
    expect(await balance(f.skus.formula, f.parties.central, 'CONF-OTHER')).toBeNull();
    const reported = await stock.recordMovements([other, { ...m, onHand: 4 }], { onConflict: 'report' });
    expect(reported.map((o) => o.status)).toEqual(['applied', 'conflict']);
    expect((await balance(f.skus.formula, f.parties.central, 'CONF'))!.on_hand).toBe(3);
  });

  it('moves stock between buckets: a dispatch leaves on hand and arrives in transit at the store', async () => {
    await stock.recordMovements([mv({ batch: 'TR', onHand: 100 })]);
    await stock.recordMovements([
      mv({ batch: 'TR', reason: 'dispatch', onHand: -30, reference: 'DN-1' }),
      mv({ batch: 'TR', reason: 'dispatch', locationId: f.parties.store, onHand: 0, inTransit: 30, reference: 'DN-1' }),
    ]);
    expect(await balance(f.skus.formula, f.parties.central, 'TR')).toEqual({ on_hand: 70, reserved: 0, in_transit: 0 });
    expect(await balance(f.skus.formula, f.parties.store, 'TR')).toEqual({ on_hand: 0, reserved: 0, in_transit: 30 });
  });

  describe('snapshot reconciliation', () => {
    const wipes = () => f.skus.wipes;
    const loc = () => f.parties.south;
    const rec = (key: string, asOf: string, rows: Array<{ batch: string; onHand: number; reserved?: number }>) =>
      stock.reconcileResolved({
        key, source: 'erp-r03', asOf: at(asOf), locationIds: [loc()],
        rows: rows.map((r) => ({ skuId: wipes(), batch: r.batch, expiryDate: '2026-12-31', locationId: loc(), onHand: r.onHand, reserved: r.reserved ?? 0, inTransit: 0 })),
      });

    it('records differences as movements with the source figures, keeps later movements, zeroes what the source left out', async () => {
      const m = (batch: string, onHand: number, when: string) => mv({ source: 'erp-r03', skuId: wipes(), locationId: loc(), batch, onHand, occurredAt: at(when) });
      await stock.recordMovements([m('W1', 100, '2026-04-30T09:00:00Z'), m('W2', 50, '2026-04-30T09:00:00Z'), m('W3', 5, '2026-04-30T09:00:00Z')]);
      // After the snapshot's time: a sale the snapshot cannot know of.
      await stock.recordMovements([m('W1', -10, '2026-04-30T11:00:00Z')]);

      const r = await rec('snap-1', '2026-04-30T10:00:00Z', [{ batch: 'W1', onHand: 96 }, { batch: 'W2', onHand: 50, reserved: 6 }, { batch: 'W4', onHand: 12 }]);
      expect(r).toMatchObject({ status: 'applied', rows: 3, differences: 4 });
      // W1: source 96 at 10:00, then the 11:00 sale of 10.
      expect((await balance(wipes(), loc(), 'W1'))!.on_hand).toBe(86);
      expect(await balance(wipes(), loc(), 'W2')).toEqual({ on_hand: 50, reserved: 6, in_transit: 0 });
      expect((await balance(wipes(), loc(), 'W3'))!.on_hand).toBe(0);
      expect((await balance(wipes(), loc(), 'W4'))!.on_hand).toBe(12);

      const diffs = await t.db.selectFrom('stock_movements').select(['batch', 'd_on_hand', 'd_reserved', 'snapshot_on_hand', 'reason']).where('reconciliation_id', '=', r.id).orderBy('batch').execute();
      expect(diffs).toEqual([
        { batch: 'W1', d_on_hand: -4, d_reserved: 0, snapshot_on_hand: 96, reason: 'reconcile' },
        { batch: 'W2', d_on_hand: 0, d_reserved: 6, snapshot_on_hand: 50, reason: 'reconcile' },
        { batch: 'W3', d_on_hand: -5, d_reserved: 0, snapshot_on_hand: 0, reason: 'reconcile' },
        { batch: 'W4', d_on_hand: 12, d_reserved: 0, snapshot_on_hand: 12, reason: 'reconcile' },
      ]);
      // History is kept: the original movements are all still there.
      const original = await t.db.selectFrom('stock_movements').select('id').where('location_id', '=', loc()).where('reason', '=', 'receipt').execute();
      expect(original.length).toBe(4);
    });

    it('ignores the same snapshot twice and an older one replayed after a source restart', async () => {
      const again = await rec('snap-1', '2026-04-30T10:00:00Z', [{ batch: 'W1', onHand: 1 }]);
      expect(again.status).toBe('duplicate');
      const old = await rec('snap-0', '2026-04-29T10:00:00Z', [{ batch: 'W1', onHand: 1 }]);
      expect(old.status).toBe('stale');
      expect((await balance(wipes(), loc(), 'W1'))!.on_hand).toBe(86);
    });

    it('records but does not apply a late movement that happened before the snapshot (the snapshot counted it)', async () => {
      const late = mv({ source: 'erp-r03', skuId: wipes(), locationId: loc(), batch: 'W2', onHand: -20, reason: 'sale', occurredAt: at('2026-04-30T09:30:00Z') });
      const [o] = await stock.recordMovements([late]);
      expect(o!.status).toBe('covered');
      expect((await balance(wipes(), loc(), 'W2'))!.on_hand).toBe(50);
      const next = await rec('snap-2', '2026-04-30T12:00:00Z', [{ batch: 'W1', onHand: 86 }, { batch: 'W2', onHand: 50, reserved: 6 }, { batch: 'W4', onHand: 12 }]);
      expect(next).toMatchObject({ status: 'applied', differences: 0 });
    });

    it('rejects a snapshot row outside its locations, naming the row', async () => {
      await expect(
        stock.reconcileResolved({ key: 'bad', source: 'erp-r03', asOf: at('2026-05-01T00:00:00Z'), locationIds: [loc()], rows: [{ skuId: wipes(), batch: 'X', expiryDate: null, locationId: f.parties.central, onHand: 1, reserved: 0, inTransit: 0 }] }),
      ).rejects.toMatchObject({ field: 'rows.0.location' });
      expect(await t.db.selectFrom('stock_reconciliations').select('id').where('snapshot_key', '=', 'bad').executeTakeFirst()).toBeUndefined();
    });
  });

  describe('network visibility', () => {
    beforeAll(async () => {
      await stock.recordMovements([
        mv({ skuId: f.skus.cot, batch: 'C-EARLY', expiryDate: '2026-06-01', onHand: 4 }),
        mv({ skuId: f.skus.cot, batch: 'C-LATE', expiryDate: '2028-01-01', onHand: 8 }),
        mv({ skuId: f.skus.cot, batch: 'C-EARLY', expiryDate: '2026-06-01', locationId: f.parties.south, onHand: 2, source: 'erp-r03', occurredAt: at('2026-05-01T11:00:00+08:00') }),
        mv({ skuId: f.skus.cot, batch: 'C-EARLY', expiryDate: '2026-06-01', locationId: f.parties.store, onHand: 1, reserved: 1 }),
      ]);
    });

    it('shows every location with its batches, totals and the age of its data', async () => {
      const [s] = await stock.network({ skuIds: [f.skus.cot], visibleLocationIds: null });
      expect(s!.sku.gtin).toBe(TEST_GTINS.cot);
      expect(s!.on_hand).toBe(15);
      expect(s!.available).toBe(14);
      const south = s!.locations.find((l) => l.location.code === 'WH-R03')!;
      expect(south.data_as_of).toBe('2026-05-01T03:00:00.000Z');
      expect(south.age_seconds).toBe(3600);
      const central = s!.locations.find((l) => l.location.code === 'WH-C01')!;
      expect(central.batches.map((b) => [b.batch, b.days_to_expiry])).toEqual([['C-EARLY', 31], ['C-LATE', 610]]);
    });

    it('filters by region, by days to expiry and by who may see what', async () => {
      const hubei = await stock.network({ skuIds: [f.skus.cot], regionCode: '420000', visibleLocationIds: null });
      expect(hubei[0]!.locations.map((l) => l.location.code).sort()).toEqual(['S-0001', 'WH-C01']);
      const soon = await stock.network({ skuIds: [f.skus.cot], maxDaysToExpiry: 60, visibleLocationIds: null });
      expect(soon[0]!.locations.flatMap((l) => l.batches.map((b) => b.batch))).not.toContain('C-LATE');
      expect(soon[0]!.on_hand).toBe(7);
      const storeOnly = await stock.network({ skuIds: [f.skus.cot], visibleLocationIds: new Set([f.parties.store, f.parties.dealer]) });
      expect(storeOnly[0]!.locations.map((l) => l.location.code)).toEqual(['S-0001']);
    });
  });
});
