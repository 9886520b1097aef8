import { z } from 'zod';

/** An instant: an ISO 8601 date-time with offset, or a calendar date (midnight UTC). */
export const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date or date-time with offset' })
  .transform((s) => new Date(s));

/** A calendar date, YYYY-MM-DD. */
export const calendarDate = z.iso.date({ error: 'must be a date YYYY-MM-DD' });

export const gtin14 = z.string().regex(/^\d{14}$/, 'must be a 14-digit GTIN');
