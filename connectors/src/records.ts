import { z } from 'zod';

/**
 * The canonical records every connector produces, whatever the source system calls things. Each is checked
 * with a schema where it enters; a record that fails is reported with the path of the bad field in the source's
 * own terms (e.g. `Movements.Movement[3].MENGE`) and the rest of its batch goes on.
 */
const gtin = z.string().regex(/^\d{14}$/, 'must be a GTIN-14');
const batch = z.string().regex(/^[A-Za-z0-9._-]{1,20}$/, 'must be 1–20 letters, digits, dot, dash or underscore');
const date = z.iso.date('must be a date YYYY-MM-DD');
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' });
const int = z.number().int('must be a whole number');
const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'must be a party code');

export const stockRowSchema = z.object({
  gtin,
  batch,
  expiryDate: date.nullable(),
  location: code,
  onHand: int.min(0),
  reserved: int.min(0),
  inTransit: int.min(0),
});
export type StockRow = z.infer<typeof stockRowSchema>;

export const MOVEMENT_KINDS = ['receipt', 'dispatch', 'transfer_out', 'transfer_in', 'sale', 'return', 'reservation', 'release', 'production', 'damage', 'expiry_writeoff', 'count_adjustment'] as const;

export const movementSchema = z.object({
  /** The source system's own id of the movement: the idempotency key is derived from it. */
  id: z.string().regex(/^[\x21-\x7e]{1,120}$/, 'must be 1–120 printable characters'),
  /** Position in the source's feed (for cursors). */
  seq: int.min(0),
  kind: z.enum(MOVEMENT_KINDS),
  gtin,
  batch,
  expiryDate: date.nullable(),
  location: code,
  onHand: int,
  reserved: int,
  inTransit: int,
  occurredAt: instant,
  reference: z.string().max(200).nullable(),
});
export type SourceMovement = z.infer<typeof movementSchema>;

export const dispatchLineSchema = z.object({ gtin, batch, expiryDate: date.nullable(), quantity: int.min(1) });
export const dispatchTaskSchema = z.object({
  taskNo: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/),
  warehouse: code,
  destination: code,
  lines: z.array(dispatchLineSchema).min(1),
});
export type DispatchTask = z.infer<typeof dispatchTaskSchema>;

export const dispatchConfirmationSchema = z.object({
  seq: int.min(0),
  taskNo: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/),
  warehouse: code,
  destination: code,
  confirmedAt: instant,
  lines: z.array(dispatchLineSchema).min(1),
});
export type DispatchConfirmation = z.infer<typeof dispatchConfirmationSchema>;

export const dealerAccountSchema = z.object({
  customerNo: z.string().min(1).max(40),
  dealerCode: code.nullable(),
  name: z.string().min(1).max(200),
  creditLimit: z.number().min(0).nullable(),
  paymentTermsDays: int.min(0).max(365).nullable(),
});
export type DealerAccount = z.infer<typeof dealerAccountSchema>;

export const invoiceSchema = z.object({
  seq: int.min(0),
  invoiceNo: z.string().min(1).max(40),
  customerNo: z.string().min(1).max(40),
  issuedOn: date,
  dueOn: date,
  amount: z.number().finite(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
});
export type Invoice = z.infer<typeof invoiceSchema>;

export const paymentSchema = z.object({
  seq: int.min(0),
  paymentNo: z.string().min(1).max(40),
  customerNo: z.string().min(1).max(40),
  invoiceNo: z.string().max(40).nullable(),
  paidOn: date,
  amount: z.number().finite(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
});
export type Payment = z.infer<typeof paymentSchema>;

export const productionOrderSchema = z.object({
  seq: int.min(0),
  orderNo: z.string().min(1).max(40),
  gtin,
  line: z.string().min(1).max(40),
  plannedQty: int.min(1),
  status: z.enum(['planned', 'released', 'running', 'completed', 'cancelled']),
  plannedStart: instant.nullable(),
});
export type ProductionOrder = z.infer<typeof productionOrderSchema>;

export const batchRecordSchema = z.object({
  seq: int.min(0),
  batch,
  gtin,
  productionOrder: z.string().max(40).nullable(),
  line: z.string().min(1).max(40),
  producedAt: instant,
  expiryDate: date,
  quantity: int.min(0),
  sterilisationC: z.number().min(0).max(200).nullable(),
  holdS: z.number().min(0).max(3600).nullable(),
  fillingRoomClass: int.min(1).max(9).nullable(),
  qcStatus: z.enum(['pending', 'released', 'rejected']).nullable(),
});
export type BatchRecord = z.infer<typeof batchRecordSchema>;

/** A record that did not pass, kept with what it was and where it went wrong. */
export interface RejectedRecord {
  index: number;
  /** Path of the bad field in the source's terms. */
  path: string;
  message: string;
  raw: unknown;
  /** The source's id for it when one could be read, for the dead-letter key. */
  key: string;
}

/** Splits a batch into valid records and rejected ones; `pathOf` names a canonical field in the source's terms. */
export function partition<T>(
  items: readonly unknown[],
  toCanonical: (raw: unknown) => unknown,
  schema: z.ZodType<T>,
  opts: { pathOf: (index: number, field: string) => string; keyOf: (raw: unknown, index: number) => string },
): { good: T[]; rejected: RejectedRecord[]; indices: number[] } {
  const good: T[] = [];
  const indices: number[] = [];
  const rejected: RejectedRecord[] = [];
  items.forEach((raw, index) => {
    let canonical: unknown;
    try {
      canonical = toCanonical(raw);
    } catch (e) {
      const field = e instanceof FieldError ? e.field : '';
      rejected.push({ index, path: opts.pathOf(index, field), message: (e as Error).message, raw, key: opts.keyOf(raw, index) });
      return;
    }
    const r = schema.safeParse(canonical);
    if (r.success) {
      good.push(r.data);
      indices.push(index);
    }
    else {
      const issue = r.error.issues[0]!;
      rejected.push({ index, path: opts.pathOf(index, issue.path.map(String).join('.')), message: issue.message, raw, key: opts.keyOf(raw, index) });
    }
  });
  return { good, rejected, indices };
}

/** Thrown by a field mapping when a source value cannot be read; names the canonical field. */
export class FieldError extends Error {
  override name = 'FieldError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
