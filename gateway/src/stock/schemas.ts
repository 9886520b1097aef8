import { isValidGtin } from '@cradle/protocol';
import { z } from 'zod';
import { code, text } from '../platform/http/schemas';
import { MOVEMENT_REASONS } from './model';

/** Boundary schemas of the stock API, shared with the connectors' canonical records. */
export const gtinField = z
  .string()
  .regex(/^\d{14}$/, 'must be a GTIN-14 (14 digits)')
  .refine((g) => isValidGtin(g), 'has a wrong GS1 check digit');
/** GS1 AI (10) batch/lot: up to 20 characters; we accept the safe subset. */
export const batchField = z.string().regex(/^[A-Za-z0-9._-]{1,20}$/, 'must be 1–20 letters, digits, dot, dash or underscore');
export const dateField = z.iso.date('must be a date YYYY-MM-DD');
export const instantField = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).transform((s) => new Date(s));
export const keyField = z.string().regex(/^[\x21-\x7e]{4,200}$/, 'must be 4–200 printable ASCII characters without spaces');
export const sourceField = z.string().regex(/^[a-z0-9][a-z0-9:._-]{0,59}$/, 'must be 1–60 lower-case letters, digits, colon, dot, dash or underscore');
const quantity = z.number().int('must be a whole number').min(-10_000_000).max(10_000_000);
const level = z.number().int('must be a whole number').min(0).max(100_000_000);

export const MANUAL_REASONS = MOVEMENT_REASONS.filter((r) => r !== 'reconcile') as Exclude<(typeof MOVEMENT_REASONS)[number], 'reconcile'>[];

export const movementBody = z
  .strictObject({
    idempotency_key: keyField,
    source: sourceField,
    reason: z.enum(MANUAL_REASONS as [string, ...string[]]),
    sku: gtinField,
    batch: batchField,
    expiry_date: dateField.nullable().optional(),
    location: code,
    on_hand: quantity.optional(),
    reserved: quantity.optional(),
    in_transit: quantity.optional(),
    occurred_at: instantField,
    reference: text(200).nullable().optional(),
  })
  .refine((m) => (m.on_hand ?? 0) !== 0 || (m.reserved ?? 0) !== 0 || (m.in_transit ?? 0) !== 0, {
    message: 'one of on_hand, reserved or in_transit must be a non-zero change',
    path: ['on_hand'],
  });

export const snapshotBody = z.strictObject({
  key: keyField,
  source: sourceField,
  as_of: instantField,
  locations: z.array(code).min(1).max(400),
  rows: z
    .array(
      z.strictObject({
        sku: gtinField,
        batch: batchField,
        expiry_date: dateField.nullable().optional(),
        location: code,
        on_hand: level,
        reserved: level.default(0),
        in_transit: level.default(0),
      }),
    )
    .max(10_000),
});
