/** UTC with milliseconds and "Z" (CBV 2.0 §8.9 rules 8 and 9); digits past the millisecond are cut; unparseable text is left as it is (trimmed). */
export function canonicalTime(value: string): string {
  // Already canonical (what toISOString writes, as every scan's ts is): the result is the text itself. Checked
  // field by field so that only real dates take this path (24:00, a 30th of February... go the long way).
  if (value.length === 24 && isCanonicalUtc(value)) return value;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/i.exec(value.trim());
  if (!m) return value.trim();
  const ms = Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}${m[3] ?? 'Z'}`);
  return Number.isNaN(ms) ? value.trim() : new Date(ms).toISOString();
}

const CANONICAL_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** YYYY-MM-DDTHH:MM:SS.sssZ naming a real instant, so that toISOString(Date.parse(value)) gives the value back. */
function isCanonicalUtc(value: string): boolean {
  const m = CANONICAL_UTC.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= days && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60;
}
