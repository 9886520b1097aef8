import { type RawBuilder, sql } from 'kysely';

/**
 * One column of a set-based statement, sent as a JSON array and expanded row by row: use it inside
 * `rows from (jsonColumn(a), jsonColumn(b), ...) as v(a, b, ...)` (the columns are zipped, as multi-array `unnest`
 * zips) and cast in the select list (`v.seq::bigint`, `v.source_id::uuid`, ...); JSON null is SQL NULL.
 *
 * Instead of `unnest(${values}::text[])`: node-postgres writes an array parameter element by element in JavaScript (a
 * regular-expression escape per element, concatenated), which took ~6% of the gateway's CPU and ~11% of what it
 * allocated on the ingest path (~23 elements per scan). JSON.stringify is native, and PostgreSQL parses the JSON array
 * faster than the array literal too (measured on 1,000 rows of five columns: 1.55 ms against 1.95 ms).
 */
export function jsonColumn(values: readonly unknown[]): RawBuilder<unknown> {
  return sql`jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)`;
}
