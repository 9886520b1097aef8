import { z } from 'zod';

/** Shared field schemas for API boundaries. */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Free text (names, notes): trimmed, bounded, no control characters. Quotes are legal and stored verbatim. */
export const text = (max = 200) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');

/** Business codes (party, device codes): letters, digits, dash, underscore, dot. */
export const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'must be 1–40 letters, digits, dot, dash or underscore');

/** A GB/T 2260 administrative division code (six digits). */
export const regionCode = z.string().regex(/^\d{6}$/, 'must be a six-digit GB/T 2260 code');

export const latitude = z.number().min(-90).max(90);
export const longitude = z.number().min(-180).max(180);

export const paging = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

export const uuidParam = z.object({ id: z.uuid('must be a UUID') });

/** A page of a list, with the total count of matching rows. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

/** Escapes LIKE wildcards so user text matches literally. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
