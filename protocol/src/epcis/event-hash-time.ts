/** UTC with milliseconds and "Z" (CBV 2.0 §8.9 rules 8 and 9); digits past the millisecond are cut; unparseable text is left as it is (trimmed). */
export function canonicalTime(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/i.exec(value.trim());
  if (!m) return value.trim();
  const ms = Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}${m[3] ?? 'Z'}`);
  return Number.isNaN(ms) ? value.trim() : new Date(ms).toISOString();
}
