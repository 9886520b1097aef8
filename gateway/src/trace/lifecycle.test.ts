/**
 * A batch that only commissions codes takes its own path (commissionOnly: one UPDATE of the issued codes); any other
 * batch, the general one (each code's family locked and read, then written back). Whatever the batch, the two must
 * leave the same codes, record the same anomalies and report the same changes: each random batch below runs both ways,
 * each in a transaction rolled back, on the same codes.
 */
import { buildObjectEvent, type ObjectEvent } from '@cradle/protocol';
import fc from 'fast-check';
import { issueCodes } from '../codes/issue';
import { seedDemoData } from '../demo/seed';
import { storeEvents, type StoredEvent } from '../epcis/repository';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import { applyLifecycle, type LifecycleResult } from './lifecycle';
import { sglnOf, sgtinEpc, SITE_TIME_ZONE } from './epc';

class RolledBack extends Error {
  constructor(readonly outcome: unknown) {
    super('rolled back on purpose');
  }
}

describe.each(DRIVERS)('code lifecycle: the commissioning path against the general one on %s', (driver) => {
  let db: TestDatabase;
  let gtin: string;
  /** Issued; commissioned before the batches; decommissioned; never issued. */
  const pools: Record<'issued' | 'commissioned' | 'decommissioned' | 'unknown', string[]> = { issued: [], commissioned: [], decommissioned: [], unknown: [] };
  let factoryGln: string;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    await seedDemoData(db.db, { password: 'unused-password', hashPassword: async () => 'x' });
    gtin = (await db.db.selectFrom('skus').select('gtin').where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow()).gtin;
    factoryGln = (await db.db.selectFrom('parties').select('gln').where('kind', '=', 'factory').where('gln', 'is not', null).orderBy('code').executeTakeFirstOrThrow()).gln!.trim();
    const issued = await issueCodes(db.db, { idempotencyKey: `lc-${Math.random()}`, kind: 'item', gtin, batchCode: 'LOT-A', quantity: 12, requestedBy: 'test' });
    const loose = await issueCodes(db.db, { idempotencyKey: `lc-${Math.random()}`, kind: 'item', gtin, quantity: 4, requestedBy: 'test' });
    const epcs = (id: string) => db.db.selectFrom('codes').select('epc').where('request_id', '=', id).orderBy('epc').execute();
    const withLot = (await epcs(issued.request.id)).map((r) => r.epc);
    pools.issued = [...withLot.slice(0, 6), ...(await epcs(loose.request.id)).map((r) => r.epc)];
    pools.commissioned = withLot.slice(6, 9);
    pools.decommissioned = withLot.slice(9, 12);
    await db.db.updateTable('codes').set({ state: 'commissioned', commissioned_at: new Date('2026-01-02T03:04:05.678Z') }).where('epc', 'in', pools.commissioned).execute();
    await db.db.updateTable('codes').set({ state: 'decommissioned' }).where('epc', 'in', pools.decommissioned).execute();
    // Two issued codes already with a holder: commissioned nowhere known, they keep it.
    const warehouse = await db.db.selectFrom('parties').select('id').where('kind', '=', 'warehouse').orderBy('code').executeTakeFirstOrThrow();
    await db.db.updateTable('codes').set({ holder_id: warehouse.id }).where('epc', 'in', pools.issued.slice(4, 6)).execute();
    pools.unknown = ['X0000001', 'X0000002'].map((s) => sgtinEpc(gtin, s)!);
  }, 60_000);
  afterAll(() => db?.dispose());

  /** Stores the events (committed: both runs point their anomalies at them). */
  async function stored(events: ObjectEvent[]): Promise<StoredEvent[]> {
    return db.db.transaction().execute(async (trx) => (await storeEvents(trx, events.map((event) => ({ event: event as unknown as Record<string, unknown> })))).stored);
  }

  /** The lifecycle applied one way, in a transaction rolled back: what it reported, the codes it left, the anomalies. */
  async function run(events: StoredEvent[], commissioningPath: boolean) {
    const named = [...new Set(events.flatMap((s) => (s.event.epcList as string[]) ?? []))].sort();
    try {
      await db.db.transaction().execute(async (trx) => {
        const result = await applyLifecycle(trx, events, { commissioningPath });
        const codes = await trx.selectFrom('codes').select(['epc', 'state', 'batch_code', 'holder_id', 'commissioned_at', 'last_event_at', 'parent_epc']).where('epc', 'in', named).orderBy('epc').execute();
        const anomalies = await trx.selectFrom('anomalies').select(['kind', 'epc', 'event_pk', 'detail', 'evidence']).where('event_pk', 'in', events.map((e) => e.pk)).orderBy('id').execute();
        throw new RolledBack({ result, codes, anomalies });
      });
    } catch (err) {
      if (err instanceof RolledBack) return err.outcome as { result: LifecycleResult; codes: unknown[]; anomalies: unknown[] };
      throw err;
    }
    throw new Error('not rolled back');
  }

  const pick = fc.constantFrom(...(['issued', 'issued', 'commissioned', 'decommissioned', 'unknown'] as const));
  const eventSpec = fc.record({
    codes: fc.array(fc.tuple(pick, fc.nat()), { minLength: 1, maxLength: 3 }),
    lot: fc.constantFrom<string | null>('LOT-B', null),
    // At the factory (a party: its holder), at a GLN of no party, or nowhere.
    at: fc.constantFrom<'factory' | 'elsewhere' | 'nowhere'>('factory', 'elsewhere', 'nowhere'),
  });

  /**
   * One random batch both ways. With `distinct`, a code named again later in the batch is left out of that event (an
   * event left with none is dropped), so the batch names no code twice and must take the commissioning path.
   */
  async function bothWays(specs: readonly { codes: [keyof typeof pools, number][]; lot: string | null; at: 'factory' | 'elsewhere' | 'nowhere' }[], distinct: boolean) {
    const used = new Set<string>();
    const events = specs.flatMap((spec) => {
      let epcs = spec.codes.map(([pool, i]) => pools[pool][i % pools[pool].length]!);
      if (distinct) {
        epcs = [...new Set(epcs)].filter((epc) => !used.has(epc));
        for (const epc of epcs) used.add(epc);
        if (epcs.length === 0) return [];
      }
      const where = spec.at === 'factory' ? sglnOf(factoryGln)! : spec.at === 'elsewhere' ? sglnOf('6923457999991')! : undefined;
      t += 1000;
      const built = buildObjectEvent({
        eventTime: new Date(t).toISOString(), eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where,
        action: 'ADD', epcs, bizStep: 'commissioning', disposition: 'active', ilmd: spec.lot ? { 'cbvmda:lotNumber': spec.lot } : undefined,
      });
      if (!built.ok) throw new Error(built.error.message);
      return [built.value];
    });
    const s = await stored(events);
    const fast = await run(s, true);
    const general = await run(s, false);
    expect(general.result.path).toBe('general');
    const twice = new Set<string>();
    const namesACodeTwice = s.some((e) => (e.event.epcList as string[]).some((epc) => (twice.has(epc) ? true : (twice.add(epc), false))));
    if (distinct) expect(namesACodeTwice).toBe(false);
    expect(fast.result.path).toBe(namesACodeTwice ? 'general' : 'commissioning');
    expect(fast.codes).toEqual(general.codes);
    expect(fast.anomalies).toEqual(general.anomalies);
    expect(fast.result.changed).toBe(general.result.changed);
    expect(fast.result.anomalies).toEqual(general.result.anomalies);
    expect([...new Set(fast.result.touched)].sort()).toEqual([...new Set(general.result.touched)].sort());
  }
  let t = Date.parse('2026-11-20T08:00:00.000Z');
  const batch = fc.array(eventSpec, { minLength: 1, maxLength: 6 });

  // The pools are small, so most random batches name a code twice and go the general way: the commissioning path gets
  // batches of its own (every one must take it), rather than a share of the mixed ones that chance could leave small.
  it('leaves the same codes and anomalies, and reports the same, for random commissioning batches', async () => {
    await fc.assert(fc.asyncProperty(batch, (specs) => bothWays(specs, false)), { numRuns: 25 });
  }, 120_000);

  it('does the same on the commissioning path for random batches that name no code twice', async () => {
    await fc.assert(fc.asyncProperty(batch, (specs) => bothWays(specs, true)), { numRuns: 15 });
  }, 120_000);

  it('commissions issued codes with the lot, the holder and the time, and flags the rest as the general path does', async () => {
    const where = sglnOf(factoryGln)!;
    const built = buildObjectEvent({
      eventTime: '2026-11-21T09:00:00.000Z', eventTimeZoneOffset: SITE_TIME_ZONE, eventId: 'hash', readPoint: where, bizLocation: where,
      action: 'ADD', epcs: [pools.issued[0]!, pools.issued[7]!, pools.commissioned[0]!, pools.unknown[0]!], bizStep: 'commissioning', disposition: 'active', ilmd: { 'cbvmda:lotNumber': 'LOT-C' },
    });
    if (!built.ok) throw new Error(built.error.message);
    const s = await stored([built.value]);
    const { result, codes, anomalies } = await run(s, true);
    const factory = await db.db.selectFrom('parties').select('id').where('gln', '=', factoryGln).executeTakeFirstOrThrow();
    expect(result).toMatchObject({ path: 'commissioning', changed: 2 });
    const byEpc = new Map((codes as { epc: string }[]).map((c) => [c.epc, c]));
    // The lot of the issue request stays; a code issued without one takes the event's.
    expect(byEpc.get(pools.issued[0]!)).toMatchObject({ state: 'commissioned', batch_code: 'LOT-A', holder_id: factory.id, commissioned_at: new Date('2026-11-21T09:00:00.000Z') });
    expect(byEpc.get(pools.issued[7]!)).toMatchObject({ state: 'commissioned', batch_code: 'LOT-C', holder_id: factory.id, last_event_at: new Date('2026-11-21T09:00:00.000Z') });
    expect(byEpc.get(pools.commissioned[0]!)).toMatchObject({ state: 'commissioned', commissioned_at: new Date('2026-01-02T03:04:05.678Z') });
    expect(anomalies).toEqual([
      expect.objectContaining({ kind: 'commissioned_twice', epc: pools.commissioned[0], evidence: expect.objectContaining({ state: 'commissioned', commissionedAt: '2026-01-02T03:04:05.678Z' }) }),
      expect.objectContaining({ kind: 'not_issued', epc: pools.unknown[0] }),
    ]);
  });
});
