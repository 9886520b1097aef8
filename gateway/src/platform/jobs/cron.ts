/**
 * A small five-field cron (minute hour day-of-month month day-of-week) for the in-process driver;
 * BullMQ evaluates the same expression with cron-parser. Supports `*`, numbers, lists, ranges and
 * steps (`*\/15`, `1-5`, `0,30`); day-of-week 0 and 7 are Sunday. Like classic cron, when both
 * day fields are restricted a day matches if either does. Times are the process's local time.
 */
export interface CronExpression {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  dayOfMonthAny: boolean;
  dayOfWeekAny: boolean;
}

export class InvalidCronError extends Error {
  override name = 'InvalidCronError';
  readonly code = 'CRON_INVALID';
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`Invalid cron "${expression}": ${reason}`);
  }
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

/** Parses a five-field cron expression or throws InvalidCronError. */
export function parseCron(expression: string): CronExpression {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new InvalidCronError(expression, `expected 5 fields, got ${parts.length}`);
  const sets = parts.map((part, i) => parseField(expression, part, FIELDS[i]!));
  const dow = sets[4]!;
  if (dow.has(7)) dow.add(0);
  dow.delete(7);
  return {
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek: dow,
    dayOfMonthAny: parts[2] === '*',
    dayOfWeekAny: parts[4] === '*',
  };
}

function parseField(expression: string, text: string, field: (typeof FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) throw new InvalidCronError(expression, `bad ${field.name} "${item}"`);
    const step = m[4] === undefined ? 1 : Number(m[4]);
    let from: number = field.min;
    let to: number = field.max;
    if (m[2] !== undefined) {
      from = Number(m[2]);
      // "5/15" means from 5 to the end in steps of 15, as in Vixie cron.
      to = m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? field.max : from;
    }
    if (step < 1 || from < field.min || to > field.max || from > to) {
      throw new InvalidCronError(expression, `${field.name} "${item}" is outside ${field.min}-${field.max}`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** The first minute strictly after `after` that the expression matches (seconds set to 0). */
export function nextCronTime(cron: CronExpression, after: Date): Date {
  const t = new Date(after.getTime());
  t.setSeconds(0, 0);
  t.setMinutes(t.getMinutes() + 1);
  // Four years of minutes covers every satisfiable expression (29 February included).
  for (let i = 0; i < 4 * 366 * 24 * 60; i++) {
    if (matches(cron, t)) return t;
    t.setMinutes(t.getMinutes() + 1);
  }
  throw new InvalidCronError('(parsed)', 'never matches');
}

function matches(c: CronExpression, t: Date): boolean {
  if (!c.minutes.has(t.getMinutes()) || !c.hours.has(t.getHours()) || !c.months.has(t.getMonth() + 1)) return false;
  const dom = c.daysOfMonth.has(t.getDate());
  const dow = c.daysOfWeek.has(t.getDay());
  if (c.dayOfMonthAny || c.dayOfWeekAny) return dom && dow;
  return dom || dow;
}
