import { sql } from 'kysely';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../testing/databases';
import { insertFirst, onConflictDoNothing, PLAIN_INSERT_MIN_ROWS } from './insert-first';

describe.each(DRIVERS)('insertFirst on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
    await sql`create table insert_first_probe (id int primary key, note text not null check (note <> ''))`.execute(t.db);
  }, 60_000);
  afterAll(async () => t?.dispose());

  /** Inserts ids [from, to) in one transaction with a later statement after it; returns what each attempt was. */
  async function insertRange(from: number, to: number, note = 'x') {
    const attempts: boolean[] = [];
    const ids = Array.from({ length: to - from }, (_, i) => from + i);
    const inserted = await t.db.transaction().execute(async (trx) => {
      const r = await insertFirst(trx, ids.length, (guarded) => {
        attempts.push(guarded);
        return sql<{ id: number }>`
          insert into insert_first_probe (id, note) select i, ${note} from unnest(${ids}::int[]) as i
          ${onConflictDoNothing(guarded)} returning id`.execute(trx);
      });
      // The transaction goes on after a rolled-back attempt: this statement and the commit must succeed.
      await sql`select count(*) from insert_first_probe`.execute(trx);
      return r.rows.map((row) => row.id).sort((a, b) => a - b);
    });
    return { attempts, inserted };
  }
  const count = async () => Number((await sql<{ n: string }>`select count(*) as n from insert_first_probe`.execute(t.db)).rows[0]!.n);

  it('inserts a batch free of conflicts with the plain statement only', async () => {
    const r = await insertRange(0, PLAIN_INSERT_MIN_ROWS);
    expect(r.attempts).toEqual([false]);
    expect(r.inserted).toHaveLength(PLAIN_INSERT_MIN_ROWS);
    expect(await count()).toBe(PLAIN_INSERT_MIN_ROWS);
  });

  it('falls back to the guarded statement on a unique violation: only the new rows go in, each once', async () => {
    const r = await insertRange(PLAIN_INSERT_MIN_ROWS / 2, PLAIN_INSERT_MIN_ROWS * 2);
    expect(r.attempts).toEqual([false, true]);
    expect(r.inserted).toEqual(Array.from({ length: PLAIN_INSERT_MIN_ROWS }, (_, i) => PLAIN_INSERT_MIN_ROWS + i));
    expect(await count()).toBe(PLAIN_INSERT_MIN_ROWS * 2);
  });

  it('takes the guarded statement at once for a small batch', async () => {
    const r = await insertRange(0, 3);
    expect(r.attempts).toEqual([true]);
    expect(r.inserted).toEqual([]);
  });

  it('lets any other error through, and nothing of the batch stays', async () => {
    await expect(insertRange(1000, 1000 + PLAIN_INSERT_MIN_ROWS, '')).rejects.toMatchObject({ code: '23514' });
    expect(await count()).toBe(PLAIN_INSERT_MIN_ROWS * 2);
  });
});
