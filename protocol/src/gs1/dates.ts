import { err, ok, type Result } from '../result';

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] ?? 0);
}

/**
 * The four-digit year for a GS1 two-digit year (General Specifications §7.12): relative to the current year, a
 * difference of 51..99 means the previous century and -99..-50 the next one, otherwise the current century.
 */
export function resolveGs1Year(yy: number, currentYear: number): number {
  const century = Math.floor(currentYear / 100) * 100;
  const diff = yy - (currentYear % 100);
  if (diff >= 51) return century - 100 + yy;
  if (diff <= -50) return century + 100 + yy;
  return century + yy;
}

export interface Gs1Date {
  /** ISO calendar date; a day "00" resolves to the month's last day (GS1 General Specifications §3.4.x). */
  readonly iso: string;
  /** True when the label said day 00: only year and month were specified. */
  readonly dayUnspecified: boolean;
}

/** Parses a GS1 YYMMDD date; with allowDayZero (linter yymmd0: AIs 11-17) day 00 means "end of that month". */
export function parseGs1Date(yymmdd: string, opts: { allowDayZero: boolean; currentYear: number }): Result<Gs1Date, string> {
  if (!/^\d{6}$/.test(yymmdd)) return err('a date is six digits, YYMMDD');
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  const dd = Number(yymmdd.slice(4, 6));
  if (mm < 1 || mm > 12) return err(`month ${yymmdd.slice(2, 4)} does not exist`);
  const year = resolveGs1Year(yy, opts.currentYear);
  const last = daysInMonth(year, mm);
  if (dd === 0 && !opts.allowDayZero) return err('day 00 is not allowed for this AI');
  if (dd > last) return err(`day ${yymmdd.slice(4, 6)} does not exist in ${year}-${yymmdd.slice(2, 4)}`);
  const day = dd === 0 ? last : dd;
  return ok({
    iso: `${year}-${String(mm).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    dayUnspecified: dd === 0,
  });
}
