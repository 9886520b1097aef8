/**
 * The stock ledger's vocabulary. A location is a party that holds stock (a warehouse, a dealer's warehouse, a
 * store); a position is one SKU × batch at one location, split into three buckets.
 */
export const MOVEMENT_REASONS = [
  'receipt',
  'dispatch',
  'transfer_out',
  'transfer_in',
  'sale',
  'return',
  'reservation',
  'release',
  'production',
  'damage',
  'expiry_writeoff',
  'count_adjustment',
  'reconcile',
] as const;
export type MovementReason = (typeof MOVEMENT_REASONS)[number];

/** A change to one position, resolved to ids. Deltas are signed quantities in units (cans, packs). */
export interface MovementInput {
  /** Made at the source (`wms:WH-C01:mv-88121`); the ledger applies a key once, ever. */
  idempotencyKey: string;
  /** The system or actor it came from: `wms-central`, `erp-r03`, `api:<key name>`. */
  source: string;
  reason: MovementReason;
  skuId: string;
  batch: string;
  /** YYYY-MM-DD; null for goods without a shelf life (cots, bags). */
  expiryDate: string | null;
  locationId: string;
  onHand?: number;
  reserved?: number;
  inTransit?: number;
  /** When it happened at the source (not when we heard of it). */
  occurredAt: Date;
  reference?: string | null;
}

export type MovementStatus =
  /** Recorded and added to the balance. */
  | 'applied'
  /** Recorded, but not added: the location's latest snapshot, taken after it happened, already counted it. */
  | 'covered'
  /** The same key with the same content was recorded before: nothing changed. */
  | 'duplicate'
  /** The same key was recorded before with different content: nothing changed. */
  | 'conflict';

export interface MovementOutcome {
  idempotencyKey: string;
  status: MovementStatus;
  movementId: number;
}

/** One row of a snapshot from a source system: what it says a position holds at `asOf`. */
export interface SnapshotRow {
  skuId: string;
  batch: string;
  expiryDate: string | null;
  locationId: string;
  onHand: number;
  reserved: number;
  inTransit: number;
}

export interface SnapshotInput {
  /** Idempotency key of the snapshot itself (`wms-central:WH-C01:2026-05-01T10:00:00Z`). */
  key: string;
  source: string;
  /** The source system's time of the snapshot. */
  asOf: Date;
  /** The locations the snapshot is complete for: positions there that it leaves out are zero. */
  locationIds: string[];
  rows: SnapshotRow[];
  /**
   * The source left rows out that it could not describe (they were dead-lettered): compare only the positions
   * present, and do not zero the others this time.
   */
  partial?: boolean;
}

export interface ReconciliationResult {
  id: number;
  /** applied: differences recorded as movements; stale: older than what the ledger already holds; duplicate: seen before. */
  status: 'applied' | 'stale' | 'duplicate';
  rows: number;
  differences: number;
  note: string | null;
}
