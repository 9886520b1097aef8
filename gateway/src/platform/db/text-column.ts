import { type RawBuilder, sql } from 'kysely';

const SEPARATOR = '\x1e'; // ASCII record separator
const NULL_MARK = '\x1f'; // ASCII unit separator, alone: SQL NULL
const CONTROL = /[\x1e\x1f]/;

/**
 * One column of a set-based statement, sent as one text parameter and expanded row by row: use it inside
 * `rows from (textColumn(a), textColumn(b), ...) as v(a, b, ...)` (the columns are zipped, as multi-array `unnest`
 * zips) and cast in the select list (`v.seq::bigint`, `v.source_id::uuid`, ...). Each value is its text (a Date its
 * ISO form, as JSON.stringify gives); null and undefined are SQL NULL.
 *
 * The values are joined with the ASCII record separator and split by `string_to_table`, the unit separator standing
 * alone for NULL. Measured in PostgreSQL on 1,000 event hashes: 0.26 ms to split against 0.6 – 0.7 ms to expand the
 * same values as a JSON array (`jsonb_array_elements_text`, parsed into jsonb first) and 0.9 ms as a text[] literal;
 * node-postgres also writes an array parameter element by element in JavaScript (a regular-expression escape each),
 * which took ~6% of the gateway's CPU on the ingest path. A column that cannot travel that way (a value holding either
 * separator, a lone empty string, which `string_to_table` reads as no row, or a value of another kind) goes as a JSON
 * array instead, expanded by `jsonb_array_elements_text`: the same rows either way.
 */
export function textColumn(values: readonly unknown[]): RawBuilder<unknown> {
  const parts: string[] = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = NULL_MARK;
    else if (typeof v === 'string') {
      if (CONTROL.test(v)) return jsonArrayColumn(values);
      parts[i] = v;
    } else if (typeof v === 'number' && Number.isFinite(v)) parts[i] = String(v);
    else if (typeof v === 'bigint' || typeof v === 'boolean') parts[i] = String(v);
    else if (v instanceof Date && !Number.isNaN(v.getTime())) parts[i] = v.toISOString();
    else return jsonArrayColumn(values);
  }
  if (parts.length === 1 && parts[0] === '') return jsonArrayColumn(values);
  return sql`string_to_table(${parts.join(SEPARATOR)}::text, E'\\x1e', E'\\x1f')`;
}

/** The general form: a JSON array, JSON null as SQL NULL (also what a non-finite number or an invalid Date becomes). */
export function jsonArrayColumn(values: readonly unknown[]): RawBuilder<unknown> {
  return sql`jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)`;
}

/**
 * JSON documents as a column of their texts (cast with `::jsonb` where they are read, once per row: keep the cast in a
 * subquery that is not pulled up, e.g. with `offset 0`). JSON.stringify writes every control character escaped, so a
 * document's text never holds the separator, and no document is the empty string. In PostgreSQL, splitting and
 * parsing 1,000 event documents took 2.8 – 4.5 ms, against 3.7 – 10.9 ms for one JSON array expanded by
 * `jsonb_array_elements`, which parses the whole array into jsonb and then copies each element out of it. Here,
 * stringifying them one by one and joining cost 1.7 – 2.3 ms against 1.0 ms for the array at once, so most of the
 * saving moves rather than goes (docs/ingest.md, seventh round).
 */
export function docsColumn(docs: readonly object[]): RawBuilder<unknown> {
  const texts: string[] = new Array<string>(docs.length);
  for (let i = 0; i < docs.length; i++) texts[i] = JSON.stringify(docs[i]);
  return sql`string_to_table(${texts.join(SEPARATOR)}::text, E'\\x1e')`;
}
