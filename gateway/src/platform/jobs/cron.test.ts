import { InvalidCronError, nextCronTime, parseCron } from './cron';

// Local-time dates, as the driver uses them.
const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi);

describe('cron', () => {
  it('finds the next quarter hour for */15', () => {
    expect(nextCronTime(parseCron('*/15 * * * *'), at(2026, 3, 1, 10, 7))).toEqual(at(2026, 3, 1, 10, 15));
    expect(nextCronTime(parseCron('*/15 * * * *'), at(2026, 3, 1, 10, 15))).toEqual(at(2026, 3, 1, 10, 30));
  });

  it('rolls over to the next day, month and year', () => {
    expect(nextCronTime(parseCron('30 2 * * *'), at(2026, 12, 31, 3, 0))).toEqual(at(2027, 1, 1, 2, 30));
    expect(nextCronTime(parseCron('0 0 1 * *'), at(2026, 1, 15))).toEqual(at(2026, 2, 1));
  });

  it('runs on weekdays only with 1-5, and treats 7 as Sunday', () => {
    // 2026-03-07 is a Saturday.
    expect(nextCronTime(parseCron('0 9 * * 1-5'), at(2026, 3, 7, 12))).toEqual(at(2026, 3, 9, 9));
    expect(nextCronTime(parseCron('0 9 * * 7'), at(2026, 3, 7, 12))).toEqual(at(2026, 3, 8, 9));
  });

  it('matches either day field when both are restricted', () => {
    // The 13th, or any Friday: from Monday 2026-03-09 the Friday 13th is the first match either way;
    // from the 14th, the next Friday (20th) comes before the next 13th.
    expect(nextCronTime(parseCron('0 0 13 * 5'), at(2026, 3, 14))).toEqual(at(2026, 3, 20));
  });

  it('finds 29 February', () => {
    expect(nextCronTime(parseCron('0 0 29 2 *'), at(2026, 3, 1))).toEqual(at(2028, 2, 29));
  });

  it('rejects malformed expressions', () => {
    for (const bad of ['* * * *', '60 * * * *', '* 24 * * *', 'a * * * *', '*/0 * * * *', '5-1 * * * *']) {
      expect(() => parseCron(bad)).toThrow(InvalidCronError);
    }
  });
});
