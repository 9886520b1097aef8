import { FieldError, type DispatchConfirmation, type DispatchTask, type SourceMovement, type StockRow } from '../records';

/** The WMS's own JSON shapes (its field names), and their mapping to the canonical records. */
export interface WmsStockItem {
  site: string;
  sku: string;
  lot: string;
  bestBefore: string | null;
  qtyOnHand: number;
  qtyAllocated: number;
  qtyInTransit: number;
}
export interface WmsMovement {
  seq: number;
  movementId: string;
  type: string;
  site: string;
  sku: string;
  lot: string;
  bestBefore: string | null;
  qtyOnHand: number;
  qtyAllocated: number;
  qtyInTransit: number;
  at: string;
  ref: string | null;
}
export interface WmsConfirmation {
  seq: number;
  taskNo: string;
  site: string;
  shipTo: string;
  confirmedAt: string;
  lines: Array<{ sku: string; lot: string; bestBefore: string | null; qty: number }>;
}

const WMS_KINDS: Record<string, SourceMovement['kind']> = {
  RCV: 'receipt',
  PICK: 'dispatch',
  XFER_OUT: 'transfer_out',
  XFER_IN: 'transfer_in',
  RET: 'return',
  ALLOC: 'reservation',
  DEALLOC: 'release',
  DMG: 'damage',
  EXP: 'expiry_writeoff',
  CNT: 'count_adjustment',
};

const obj = (raw: unknown): Record<string, unknown> => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FieldError('', 'must be an object');
  return raw as Record<string, unknown>;
};

export function stockItemToRow(raw: unknown): Partial<StockRow> {
  const r = obj(raw);
  return { gtin: r.sku as string, batch: r.lot as string, expiryDate: (r.bestBefore ?? null) as string | null, location: r.site as string, onHand: r.qtyOnHand as number, reserved: r.qtyAllocated as number, inTransit: r.qtyInTransit as number };
}

export function movementToCanonical(raw: unknown): Partial<SourceMovement> {
  const r = obj(raw);
  const kind = WMS_KINDS[String(r.type)];
  if (!kind) throw new FieldError('kind', `unknown movement type ${JSON.stringify(r.type)}`);
  return {
    id: r.movementId as string,
    seq: r.seq as number,
    kind,
    gtin: r.sku as string,
    batch: r.lot as string,
    expiryDate: (r.bestBefore ?? null) as string | null,
    location: r.site as string,
    onHand: r.qtyOnHand as number,
    reserved: r.qtyAllocated as number,
    inTransit: r.qtyInTransit as number,
    occurredAt: r.at as string,
    reference: (r.ref ?? null) as string | null,
  };
}

export function confirmationToCanonical(raw: unknown): Partial<DispatchConfirmation> {
  const r = obj(raw);
  const lines = Array.isArray(r.lines) ? r.lines.map((l) => ({ gtin: (l as WmsConfirmation['lines'][0]).sku, batch: (l as WmsConfirmation['lines'][0]).lot, expiryDate: (l as WmsConfirmation['lines'][0]).bestBefore ?? null, quantity: (l as WmsConfirmation['lines'][0]).qty })) : (r.lines as never);
  return { seq: r.seq as number, taskNo: r.taskNo as string, warehouse: r.site as string, destination: r.shipTo as string, confirmedAt: r.confirmedAt as string, lines };
}

/** Canonical field → the WMS's name for it, so errors name what the WMS sent. */
export const WMS_FIELD_NAMES: Record<string, string> = {
  id: 'movementId', gtin: 'sku', batch: 'lot', expiryDate: 'bestBefore', location: 'site', onHand: 'qtyOnHand', reserved: 'qtyAllocated',
  inTransit: 'qtyInTransit', occurredAt: 'at', reference: 'ref', kind: 'type', warehouse: 'site', destination: 'shipTo', quantity: 'qty',
};
export const wmsPath = (prefix: string, index: number, field: string) =>
  `${prefix}[${index}]${field ? '.' + field.split('.').map((p) => (/^\d+$/.test(p) ? `[${p}]` : (WMS_FIELD_NAMES[p] ?? p))).join('.').replace(/\.\[/g, '[') : ''}`;

export function taskToWire(task: DispatchTask) {
  return { taskNo: task.taskNo, site: task.warehouse, shipTo: task.destination, lines: task.lines.map((l) => ({ sku: l.gtin, lot: l.batch, bestBefore: l.expiryDate, qty: l.quantity })) };
}
