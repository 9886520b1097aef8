import pino from 'pino';
import { createInProcessRunner } from '../platform/jobs';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import type { MovementInput } from '../stock/model';
import { createStockService } from '../stock/service';
import { seedStockFixture, type StockFixture } from '../stock/testing';
import { expiryWarningsJob } from './job';
import { runExpiryWarnings } from './warnings';

describe.each(DRIVERS)('expiry warnings on %s', (driver) => {
  let t: TestDatabase;
  let f: StockFixture;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
    f = await seedStockFixture(t.db);
    const stock = createStockService({ db: t.db });
    let n = 0;
    const mv = (over: Partial<MovementInput>): MovementInput => ({
      idempotencyKey: `exp-${++n}`, source: 'test', reason: 'receipt', skuId: f.skus.formula, batch: 'F1', expiryDate: '2026-09-01',
      locationId: f.parties.store, onHand: 10, occurredAt: new Date('2026-04-01T00:00:00Z'), ...over,
    });
    await stock.recordMovements([
      // formula, threshold 180 days: at the store, two batches inside the window and one outside.
      mv({ batch: 'F-SOON', expiryDate: '2026-07-01', onHand: 12 }),
      mv({ batch: 'F-LATER', expiryDate: '2026-10-01', onHand: 20 }),
      mv({ batch: 'F-FRESH', expiryDate: '2027-06-01', onHand: 30 }),
      // formula at the central warehouse: already expired.
      mv({ batch: 'F-OLD', expiryDate: '2026-04-20', locationId: f.parties.central, onHand: 3 }),
      // wipes (90 days): 100 days left, not flagged until the category threshold is raised.
      mv({ skuId: f.skus.wipes, batch: 'W-100', expiryDate: '2026-08-09', locationId: f.parties.dealer, onHand: 40 }),
      // cots have no threshold (0): never flagged.
      mv({ skuId: f.skus.cot, batch: 'C-1', expiryDate: '2026-05-02', onHand: 1 }),
      // sold out: nothing to warn about.
      mv({ batch: 'F-GONE', expiryDate: '2026-06-01', onHand: 0, reserved: 1 }),
    ]);
  });
  afterAll(() => t.dispose());

  const warnings = (date: string) =>
    t.db.selectFrom('stock_expiry_warnings').selectAll().where('run_date', '=', date).orderBy('location_id').orderBy('fefo_rank').execute();

  it('flags stock under its threshold, by location and dealer, with first-expiry-first-out order', async () => {
    const run = await runExpiryWarnings(t.db, '2026-05-01');
    expect(run).toMatchObject({ warnings: 3, units: 35 });
    const w = await warnings('2026-05-01');
    const store = w.filter((x) => x.location_id === f.parties.store);
    expect(store.map((x) => [x.batch, x.fefo_rank, x.days_left, x.dealer_id])).toEqual([
      ['F-SOON', 1, 61, f.parties.dealer],
      ['F-LATER', 2, 153, f.parties.dealer],
    ]);
    expect(store[0]!.suggestion).toMatch(/first-expiry-first-out/);
    const central = w.find((x) => x.location_id === f.parties.central)!;
    expect(central).toMatchObject({ batch: 'F-OLD', days_left: -11, dealer_id: null });
    expect(central.suggestion).toMatch(/expired/);
    const notes = await t.db.selectFrom('stock_notifications').select(['recipient', 'body']).where('run_date', '=', '2026-05-01').orderBy('recipient').execute();
    expect(notes).toEqual([
      { recipient: f.parties.dealer, body: expect.objectContaining({ warnings: 2, units: 32 }) },
      { recipient: 'hq', body: expect.objectContaining({ warnings: 3, units: 35, expired: 1 }) },
    ].sort((a, b) => (a.recipient < b.recipient ? -1 : 1)));
  });

  it('takes thresholds from a SKU policy over a category policy over the SKU default, and reruns idempotently', async () => {
    await t.db.insertInto('stock_expiry_policies').values({ category: 'wipes', warning_days: 120, updated_by: 'test' }).execute();
    await t.db.insertInto('stock_expiry_policies').values({ sku_id: f.skus.formula, warning_days: 90, updated_by: 'test' }).execute();
    const runner = createInProcessRunner({ log: pino({ level: 'silent' }) });
    runner.register(expiryWarningsJob({ db: t.db, clock: () => new Date() }));
    await runner.start();
    try {
      await runner.enqueue('stock-expiry-warnings', { date: '2026-05-01' });
      await runner.enqueue('stock-expiry-warnings', { date: '2026-05-01' });
      await runner.drained();
    } finally {
      await runner.close();
    }
    const w = await warnings('2026-05-01');
    expect(w.map((x) => x.batch).sort()).toEqual(['F-OLD', 'F-SOON', 'W-100']);
    expect(w.find((x) => x.batch === 'W-100')!.threshold_days).toBe(120);
    const notes = await t.db.selectFrom('stock_notifications').select('recipient').where('run_date', '=', '2026-05-01').execute();
    expect(notes.length).toBe(2);
  });
});
