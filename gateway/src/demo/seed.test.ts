import { sql } from 'kysely';
import { loadRegionCatalogue } from '../regions/catalogue';
import { openTestDatabase, type TestDatabase } from '../platform/testing/databases';
import { DEMO_ACCOUNTS } from './accounts';
import { seedDemoData } from './seed';

// A stand-in for argon2 that still proves each account's hash came from the password given.
const hashPassword = async (pw: string) => `test-hash:${pw}`;

describe.each(['pglite', 'postgres'] as const)('seedDemoData on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => t?.dispose());

  it('fills an empty database with the reference network once, however many gateways start at the same time', async () => {
    const started = Date.now();
    const opts = { password: 'demo-pass', hashPassword, today: new Date('2026-03-01T08:00:00Z') };
    const results = await Promise.all([seedDemoData(t.db, opts), seedDemoData(t.db, opts)]);
    expect(results.filter((r) => r.seeded)).toHaveLength(1);
    const first = results.find((r) => r.seeded)!;
    // Reported, not asserted: timings depend on the machine.
    process.stdout.write(`seedDemoData on ${driver}: ${Date.now() - started} ms\n`);
    expect(first.seeded).toBe(true);
    expect(first.counts).toMatchObject({
      regions: loadRegionCatalogue().length,
      dealers_tier1: 120,
      dealers_tier2: 800,
      stores: 300,
      warehouses: 8,
      members: 2000,
      users: 5,
    });

    const count = async (q: ReturnType<typeof sql<{ n: number }>>) => (await q.execute(t.db)).rows[0]!.n;
    expect(await count(sql`select count(*)::int as n from parties where kind = 'dealer' and tier = 1`)).toBe(120);
    expect(await count(sql`select count(*)::int as n from parties where kind = 'dealer' and tier = 2`)).toBe(800);
    expect(await count(sql`select count(*)::int as n from parties where kind = 'store'`)).toBe(300);
    expect(await count(sql`select count(*)::int as n from skus`)).toBe(first.counts.skus);
    expect(first.counts.skus).toBeGreaterThanOrEqual(500);
    expect(await count(sql`select count(*)::int as n from members`)).toBe(2000);
    expect(await count(sql`select count(*)::int as n from devices`)).toBe(first.counts.devices);
    expect(await count(sql`select count(*)::int as n from regions`)).toBe(loadRegionCatalogue().length);

    // The links survive the round trip: a distributor's parent is a tier-1 dealer, a scanner reports via its edge agent.
    const orphanDistributors = await count(sql`
      select count(*)::int as n from parties d left join parties p on p.id = d.parent_id
      where d.tier = 2 and (p.tier is distinct from 1)`);
    expect(orphanDistributors).toBe(0);
    const scanner = await t.db
      .selectFrom('devices as d')
      .innerJoin('devices as a', 'a.id', 'd.parent_id')
      .select(['d.code', 'a.code as agent'])
      .where('d.code', '=', 'WH-C01-SC1')
      .executeTakeFirstOrThrow();
    expect(scanner.agent).toBe('WH-C01-EA1');
    const farm = await t.db.selectFrom('parties').select(['attributes']).where('code', '=', 'FARM-01').executeTakeFirstOrThrow();
    expect(farm.attributes).toMatchObject({ feed: { alfalfa_pct: 60 } });
    const formula = await t.db.selectFrom('skus').selectAll().where('category', '=', 'formula').limit(1).executeTakeFirstOrThrow();
    expect(formula.pack_sizes).toEqual([1, 6]);

    const users = await t.db
      .selectFrom('users as u')
      .leftJoin('parties as p', 'p.id', 'u.party_id')
      .select(['u.username', 'u.role', 'u.password_hash', 'p.kind', 'p.tier'])
      .orderBy('u.username')
      .execute();
    expect(users).toEqual([
      { username: DEMO_ACCOUNTS.dealer, role: 'dealer', password_hash: 'test-hash:demo-pass', kind: 'dealer', tier: 1 },
      { username: DEMO_ACCOUNTS.dealer2, role: 'dealer', password_hash: 'test-hash:demo-pass', kind: 'dealer', tier: 1 },
      { username: DEMO_ACCOUNTS.hq, role: 'hq', password_hash: 'test-hash:demo-pass', kind: null, tier: null },
      { username: DEMO_ACCOUNTS.store, role: 'store', password_hash: 'test-hash:demo-pass', kind: 'store', tier: null },
      { username: DEMO_ACCOUNTS.store2, role: 'store', password_hash: 'test-hash:demo-pass', kind: 'store', tier: null },
    ]);

    // Members' babies were born within three years of the day given.
    const range = (await sql<{ lo: string; hi: string }>`select min(baby_birth_date)::text as lo, max(baby_birth_date)::text as hi from members`.execute(t.db)).rows[0]!;
    expect(range.hi <= '2026-03-01').toBe(true);
    expect(range.lo >= '2023-03-01').toBe(true);

    const second = await seedDemoData(t.db, { password: 'other', hashPassword });
    expect(second).toEqual({ seeded: false, counts: {} });
    expect(await count(sql`select count(*)::int as n from parties`)).toBe(first.counts.parties);
    expect(await count(sql`select count(*)::int as n from users where password_hash = 'test-hash:other'`)).toBe(0);
  });
});
