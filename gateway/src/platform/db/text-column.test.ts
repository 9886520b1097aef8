import fc from 'fast-check';
import { sql } from 'kysely';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../testing/databases';
import { docsColumn, jsonArrayColumn, textColumn } from './text-column';

describe.each(DRIVERS)('textColumn on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  }, 60_000);
  afterAll(async () => t?.dispose());

  /** The SQL of the column, to tell which form it took. */
  const form = (values: readonly unknown[]) => textColumn(values).compile(t.db).sql;

  it('joins plain values into one text split by string_to_table', () => {
    expect(form(['a', null, 'b', 1])).toMatch(/^string_to_table\(/);
  });

  it('takes the JSON array for a value holding a separator, a lone empty string, or a value of another kind', () => {
    for (const values of [['a\x1eb'], ['\x1f'], [''], [{ a: 1 }], [Number.NaN]]) expect(form(values)).toMatch(/^jsonb_array_elements_text\(/);
  });

  /** The rows of two columns zipped, in order. */
  async function zip(a: readonly unknown[], b: readonly unknown[]) {
    const r = await sql<{ a: string | null; b: string | null }>`
      select v.a, v.b from rows from (${textColumn(a)}, ${textColumn(b)}) with ordinality as v(a, b, ord) order by v.ord`.execute(t.db);
    return r.rows.map((row) => [row.a, row.b]);
  }

  it('gives back each value as its text, null as NULL, zipped with a column of the other form', async () => {
    const at = new Date('2026-11-26T01:02:03.004Z');
    const a = ['x', null, '', 'é 中文 "quoted" \\ back', 42, at, undefined, true];
    const b = ['sep\x1einside', 'unit\x1f', null, '', 'p', 'q', 'r', 's'];
    expect(await zip(a, b)).toEqual([
      ['x', 'sep\x1einside'],
      [null, 'unit\x1f'],
      ['', null],
      ['é 中文 "quoted" \\ back', ''],
      ['42', 'p'],
      ['2026-11-26T01:02:03.004Z', 'q'],
      [null, 'r'],
      ['true', 's'],
    ]);
  });

  it('keeps a lone empty string and an empty column apart', async () => {
    expect(await zip([''], ['a'])).toEqual([['', 'a']]);
    expect(await zip([], [])).toEqual([]);
    expect(await zip(['', ''], [null, null])).toEqual([['', null], ['', null]]);
  });

  it('gives the same rows as the JSON array form for any strings and nulls', async () => {
    const value = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', '\x1e', '\x1f', 'a\x1eb', ' '));
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 8 }), async (values) => {
        const r = await sql<{ x: string | null; y: string | null }>`
          select v.x, v.y from rows from (${textColumn(values)}, ${jsonArrayColumn(values)}) with ordinality as v(x, y, ord) order by v.ord`.execute(t.db);
        expect(r.rows.map((row) => row.x)).toEqual(values);
        expect(r.rows.map((row) => row.y)).toEqual(values);
      }),
      { numRuns: 150 },
    );
  });

  it('gives back JSON documents, separators and all, one row each', async () => {
    const docs = [{ a: 'x\x1ey\x1f', n: 1, nested: { list: [null, true, '中'] } }, {}, { '': '' }];
    const r = await sql<{ doc: unknown }>`
      select d.doc::jsonb as doc from rows from (${docsColumn(docs)}) with ordinality as d(doc, ord) order by d.ord`.execute(t.db);
    expect(r.rows.map((row) => (typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc))).toEqual(docs);
  });
});
