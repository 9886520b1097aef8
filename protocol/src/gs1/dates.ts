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

function twoDigits(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Why a YYMMDD date is invalid, or null when it is valid (the parser's hot path: no allocation when valid). */
export function gs1DateProblem(yymmdd: string, allowDayZero: boolean, currentYear: number): string | null {
  const yy = twoDigits(yymmdd, 0);
  const mm = twoDigits(yymmdd, 2);
  const dd = twoDigits(yymmdd, 4);
  if (yymmdd.length !== 6 || yy < 0 || mm < 0 || dd < 0) return 'a date is six digits, YYMMDD';
  if (mm < 1 || mm > 12) return `month ${yymmdd.slice(2, 4)} does not exist`;
  if (dd === 0) return allowDayZero ? null : 'day 00 is not allowed for this AI';
  const year = resolveGs1Year(yy, currentYear);
  return dd > daysInMonth(year, mm) ? `day ${yymmdd.slice(4, 6)} does not exist in ${year}-${yymmdd.slice(2, 4)}` : null;
}

/** Parses a GS1 YYMMDD date; with allowDayZero (linter yymmd0: AIs 11-17) day 00 means "end of that month". */
export function parseGs1Date(yymmdd: string, opts: { allowDayZero: boolean; currentYear: number }): Result<Gs1Date, string> {
  const problem = gs1DateProblem(yymmdd, opts.allowDayZero, opts.currentYear);
  if (problem !== null) return err(problem);
  const mm = twoDigits(yymmdd, 2);
  const dd = twoDigits(yymmdd, 4);
  const year = resolveGs1Year(twoDigits(yymmdd, 0), opts.currentYear);
  const last = daysInMonth(year, mm);
  const day = dd === 0 ? last : dd;
  return ok({
    iso: `${year}-${String(mm).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    dayUnspecified: dd === 0,
  });
}
