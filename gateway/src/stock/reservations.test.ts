import { DRIVERS, openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import { StockError } from './errors';
import { createStockService, type StockService } from './service';
import { seedStockFixture, type StockFixture } from './testing';

const at = new Date('2026-05-01T12:00:00+08:00');

describe.each(DRIVERS)('stock reservations on %s', (driver) => {
  let t: TestDatabase;
  let f: StockFixture;
  let stock: StockService;
  let n = 0;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    f = await seedStockFixture(t.db);
    stock = createStockService({ db: t.db, clock: () => at });
    const receipt = (batch: string, expiryDate: string, locationId: string, onHand: number) =>
      ({ idempotencyKey: `seed:${batch}:${locationId}`, source: 'wms-central', reason: 'receipt' as const, skuId: f.skus.formula, batch, expiryDate, locationId, onHand, occurredAt: new Date('2026-04-01T00:00:00Z') });
    await stock.recordMovements([
      receipt('LATE', '2027-12-31', f.parties.central, 10),
      receipt('EARLY', '2027-03-31', f.parties.central, 4),
      receipt('NEAR', '2026-06-30', f.parties.central, 50),
      receipt('SOUTH', '2027-01-31', f.parties.south, 6),
    ]);
  });
  afterAll(() => t.dispose());

  const reserve = (quantity: number, locationIds = [f.parties.central, f.parties.south]) =>
    t.db.transaction().execute((trx) =>
      stock.reserveFirstExpiryFirst(trx, [{ key: `test:${++n}`, skuId: f.skus.formula, quantity, locationIds, notExpiringBefore: '2026-11-01' }], { reference: 'test', at }),
    );
  const reserved = async () =>
    Object.fromEntries((await t.db.selectFrom('stock_balances').select(['batch', 'reserved']).where('sku_id', '=', f.skus.formula).execute()).map((r) => [r.batch, r.reserved]));

  it('takes the oldest acceptable batch first, skips batches too close to expiry, then the next location, and reports the shortfall', async () => {
    const [r] = await reserve(25);
    expect(r!.picks.map((p) => [p.batch, p.quantity])).toEqual([['EARLY', 4], ['LATE', 10], ['SOUTH', 6]]);
    expect(r!.reserved).toBe(20);
    expect(await reserved()).toEqual({ EARLY: 4, LATE: 10, NEAR: 0, SOUTH: 6 });
    const [again] = await reserve(1);
    expect(again!.reserved).toBe(0);
  });

  it('releases through ledger movements, once per key', async () => {
    const change = { idempotencyKey: 'test:release:1', reason: 'release' as const, skuId: f.skus.formula, locationId: f.parties.south, batch: 'SOUTH', expiryDate: '2027-01-31', onHand: 0, reserved: -6, reference: 'test' };
    await t.db.transaction().execute((trx) => stock.applyOrderStockChanges(trx, [change], at));
    expect((await reserved()).SOUTH).toBe(0);
    await expect(t.db.transaction().execute((trx) => stock.applyOrderStockChanges(trx, [change], at))).rejects.toBeInstanceOf(StockError);
    expect((await reserved()).SOUTH).toBe(0);
  });

  it('refuses to run outside a transaction', async () => {
    await expect(stock.reserveFirstExpiryFirst(t.db, [], { reference: 'x', at })).rejects.toThrow(/transaction/);
  });
});
