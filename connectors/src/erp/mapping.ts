import { z } from 'zod';
import {
  type BatchRecord,
  type DealerAccount,
  dealerAccountSchema,
  FieldError,
  type Invoice,
  invoiceSchema,
  movementSchema,
  partition,
  type Payment,
  paymentSchema,
  type RejectedRecord,
  type SourceMovement,
  type StockRow,
  stockRowSchema,
} from '../records';

/** Where each canonical field is in an ERP's records, validated where the configuration is read. */
export const erpMappingSchema = z.strictObject({
  dateFormat: z.enum(['iso', 'yyyymmdd']).default('iso'),
  /** ERP plant/storage codes → our party codes. */
  locations: z.record(z.string(), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/)),
  stock: z.strictObject({ gtin: z.string(), batch: z.string(), expiryDate: z.string(), location: z.string(), onHand: z.string(), reserved: z.string(), inTransit: z.string() }),
  movement: z.strictObject({
    id: z.string(), line: z.string(), seq: z.string(), kind: z.string(), gtin: z.string(), batch: z.string(), expiryDate: z.string(), location: z.string(),
    quantity: z.string(), occurredAt: z.string(), reference: z.string(),
    /** ERP movement codes → our kind, the bucket the quantity moves and its sign. */
    kinds: z.record(z.string(), z.strictObject({ kind: z.enum(movementSchema.shape.kind.options), bucket: z.enum(['onHand', 'reserved', 'inTransit']), sign: z.union([z.literal(1), z.literal(-1)]) })),
  }),
  customer: z.strictObject({ customerNo: z.string(), dealerCode: z.string(), name: z.string(), creditLimit: z.string(), paymentTermsDays: z.string() }),
  invoice: z.strictObject({ seq: z.string(), invoiceNo: z.string(), customerNo: z.string(), issuedOn: z.string(), dueOn: z.string(), amount: z.string(), currency: z.string() }),
  payment: z.strictObject({ seq: z.string(), paymentNo: z.string(), customerNo: z.string(), invoiceNo: z.string(), paidOn: z.string(), amount: z.string(), currency: z.string() }),
});
export type ErpMapping = z.infer<typeof erpMappingSchema>;

type Rec = Record<string, unknown>;
const asRec = (raw: unknown): Rec => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FieldError('', 'is not an element with fields');
  return raw as Rec;
};
/** SOAP text: a string, or an element with attributes ({ $value }), or absent. */
const text = (r: Rec, name: string): string | null => {
  const v = r[name];
  if (v === undefined || v === null) return null;
  if (typeof v === 'object' && v !== null && '$value' in v) return String((v as { $value: unknown }).$value);
  if (typeof v === 'object') throw new FieldError(name, 'is an element where text was expected');
  return String(v).trim();
};
const int = (r: Rec, name: string, field: string): number => {
  const t = text(r, name);
  if (t === null || !/^-?\d+(\.0+)?$/.test(t)) throw new FieldError(field, `must be a whole number, got ${JSON.stringify(t)}`);
  return Number.parseInt(t, 10);
};
const num = (r: Rec, name: string, field: string): number | null => {
  const t = text(r, name);
  if (t === null || t === '') return null;
  if (!/^-?\d+(\.\d+)?$/.test(t)) throw new FieldError(field, `must be a number, got ${JSON.stringify(t)}`);
  return Number(t);
};
function date(t: string | null, format: 'iso' | 'yyyymmdd', field: string): string | null {
  if (t === null || t === '' || t === '00000000') return null;
  if (format === 'yyyymmdd') {
    if (!/^\d{8}$/.test(t)) throw new FieldError(field, `must be a date YYYYMMDD, got ${JSON.stringify(t)}`);
    return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}`;
  }
  return t.slice(0, 10);
}

/** Reads the ERP's records of one kind into canonical ones; a bad one is rejected with its path, e.g. `Items.Item[3].MENGE`. */
export function createErpMapper(m: ErpMapping, connector: string) {
  const location = (r: Rec, name: string, field: string) => {
    const plant = text(r, name);
    const code = plant === null ? undefined : m.locations[plant];
    if (!code) throw new FieldError(field, `plant ${JSON.stringify(plant)} is not mapped to a location`);
    return code;
  };
  const pathOf = (names: Record<string, string>) => (i: number, field: string) => {
    const head = field.split('.')[0] ?? '';
    return `Items.Item[${i}]${head ? `.${names[head] ?? head}` : ''}`;
  };
  const keyOf = (name: string) => (raw: unknown, i: number) => {
    try {
      return text(asRec(raw), name) ?? `#${i}`;
    } catch {
      return `#${i}`;
    }
  };
  return {
    stock(items: unknown[]): { good: StockRow[]; rejected: RejectedRecord[]; indices: number[] } {
      const s = m.stock;
      return partition(items, (raw) => {
        const r = asRec(raw);
        return {
          gtin: text(r, s.gtin), batch: text(r, s.batch), expiryDate: date(text(r, s.expiryDate), m.dateFormat, 'expiryDate'),
          location: location(r, s.location, 'location'), onHand: int(r, s.onHand, 'onHand'), reserved: int(r, s.reserved, 'reserved'), inTransit: int(r, s.inTransit, 'inTransit'),
        };
      }, stockRowSchema, { pathOf: pathOf(s), keyOf: (_r, i) => `#${i}` });
    },
    movements(items: unknown[]): { good: SourceMovement[]; rejected: RejectedRecord[]; indices: number[] } {
      const mv = m.movement;
      return partition(items, (raw) => {
        const r = asRec(raw);
        const code = text(r, mv.kind) ?? '';
        const k = mv.kinds[code];
        if (!k) throw new FieldError('kind', `movement type ${JSON.stringify(code)} is not mapped`);
        const q = int(r, mv.quantity, 'onHand') * k.sign;
        const id = text(r, mv.id);
        return {
          id: id === null ? null : `${id}-${text(r, mv.line)}`, seq: int(r, mv.seq, 'seq'), kind: k.kind, gtin: text(r, mv.gtin), batch: text(r, mv.batch),
          expiryDate: date(text(r, mv.expiryDate), m.dateFormat, 'expiryDate'), location: location(r, mv.location, 'location'),
          onHand: k.bucket === 'onHand' ? q : 0, reserved: k.bucket === 'reserved' ? q : 0, inTransit: k.bucket === 'inTransit' ? q : 0,
          occurredAt: text(r, mv.occurredAt), reference: text(r, mv.reference) || null,
        };
      }, movementSchema, { pathOf: pathOf({ id: mv.id, line: mv.line, seq: mv.seq, kind: mv.kind, gtin: mv.gtin, batch: mv.batch, expiryDate: mv.expiryDate, location: mv.location, occurredAt: mv.occurredAt, reference: mv.reference, onHand: mv.quantity, reserved: mv.quantity, inTransit: mv.quantity }), keyOf: (raw, i) => `${keyOf(mv.id)(raw, i)}-${keyOf(mv.line)(raw, i)}` });
    },
    customers(items: unknown[]): { good: DealerAccount[]; rejected: RejectedRecord[]; indices: number[] } {
      const c = m.customer;
      return partition(items, (raw) => {
        const r = asRec(raw);
        return { customerNo: text(r, c.customerNo), dealerCode: text(r, c.dealerCode) || null, name: text(r, c.name), creditLimit: num(r, c.creditLimit, 'creditLimit'), paymentTermsDays: num(r, c.paymentTermsDays, 'paymentTermsDays') };
      }, dealerAccountSchema, { pathOf: pathOf(c), keyOf: keyOf(c.customerNo) });
    },
    invoices(items: unknown[]): { good: Invoice[]; rejected: RejectedRecord[]; indices: number[] } {
      const v = m.invoice;
      return partition(items, (raw) => {
        const r = asRec(raw);
        return { seq: int(r, v.seq, 'seq'), invoiceNo: text(r, v.invoiceNo), customerNo: text(r, v.customerNo), issuedOn: date(text(r, v.issuedOn), m.dateFormat, 'issuedOn'), dueOn: date(text(r, v.dueOn), m.dateFormat, 'dueOn'), amount: num(r, v.amount, 'amount'), currency: text(r, v.currency) };
      }, invoiceSchema, { pathOf: pathOf(v), keyOf: keyOf(v.invoiceNo) });
    },
    payments(items: unknown[]): { good: Payment[]; rejected: RejectedRecord[]; indices: number[] } {
      const p = m.payment;
      return partition(items, (raw) => {
        const r = asRec(raw);
        return { seq: int(r, p.seq, 'seq'), paymentNo: text(r, p.paymentNo), customerNo: text(r, p.customerNo), invoiceNo: text(r, p.invoiceNo) || null, paidOn: date(text(r, p.paidOn), m.dateFormat, 'paidOn'), amount: num(r, p.amount, 'amount'), currency: text(r, p.currency) };
      }, paymentSchema, { pathOf: pathOf(p), keyOf: keyOf(p.paymentNo) });
    },
    connector,
  };
}

export type ErpMapper = ReturnType<typeof createErpMapper>;
export type { BatchRecord };
