import { localDate } from './dates';
import type { Db } from '../platform/db';
import { StockError } from './errors';
import { allocateFirstExpiryFirst } from './fefo';
import type { MovementInput, MovementOutcome, MovementReason, ReconciliationResult } from './model';
import { recordMovements, type RecordOptions } from './movements';
import { createNetworkReader, networkStock, type NetworkQuery } from './network';
import { reconcileSnapshot } from './reconcile';
import { createStockReferences } from './references';
import { applyOrderStockChanges, asStockError, reserveFirstExpiryFirst } from './reservations';

/** A movement as outside systems name things: GTIN and party code. */
export interface ExternalMovement {
  idempotencyKey: string;
  source: string;
  reason: MovementReason;
  gtin: string;
  batch: string;
  expiryDate: string | null;
  locationCode: string;
  onHand?: number;
  reserved?: number;
  inTransit?: number;
  occurredAt: Date;
  reference?: string | null;
}

export interface ExternalSnapshot {
  key: string;
  partial?: boolean;
  source: string;
  asOf: Date;
  locationCodes: string[];
  rows: Array<{ gtin: string; batch: string; expiryDate: string | null; locationCode: string; onHand: number; reserved: number; inTransit: number }>;
}

/** Why an outside record could not be placed in the ledger, and where in it. */
export interface RejectedRecord {
  index: number;
  /** Path of the bad field inside the record, e.g. `gtin`, `locationCode`. */
  field: string;
  message: string;
}

export type ExternalOutcome = MovementOutcome | { idempotencyKey: string; status: 'rejected'; field: string; message: string };

/**
 * The stock area's functions; other areas (connectors, orders, expiry) call these, never its tables.
 * `clock` gives "now" so tests can pin time.
 */
export function createStockService({ db, clock = () => new Date() }: { db: Db; clock?: () => Date }) {
  const refs = createStockReferences(db);
  const reader = createNetworkReader(db);
  const written = <T>(p: Promise<T>) => p.finally(() => reader.invalidate());

  async function resolveMovement(m: ExternalMovement): Promise<MovementInput | RejectedRecord> {
    const sku = await refs.skuByGtin(m.gtin);
    if (!sku) return { index: 0, field: 'gtin', message: `no SKU with GTIN ${m.gtin}` };
    const loc = await refs.locationByCode(m.locationCode);
    if (!loc) return { index: 0, field: 'location', message: `no warehouse, dealer or store with code ${m.locationCode}` };
    return {
      idempotencyKey: m.idempotencyKey,
      source: m.source,
      reason: m.reason,
      skuId: sku.id,
      batch: m.batch,
      expiryDate: m.expiryDate,
      locationId: loc.id,
      onHand: m.onHand ?? 0,
      reserved: m.reserved ?? 0,
      inTransit: m.inTransit ?? 0,
      occurredAt: m.occurredAt,
      reference: m.reference ?? null,
    };
  }

  return {
    refs,
    clock,
    /** Resolves every movement first; any unknown SKU or location rejects the whole call (nothing changes). */
    async resolveAll(list: readonly ExternalMovement[]): Promise<{ inputs: MovementInput[]; rejected: RejectedRecord[] }> {
      const inputs: MovementInput[] = [];
      const rejected: RejectedRecord[] = [];
      for (const [i, m] of list.entries()) {
        const r = await resolveMovement(m);
        if ('field' in r) rejected.push({ ...r, index: i });
        else inputs.push(r);
      }
      return { inputs, rejected };
    },
    recordMovements: (inputs: readonly MovementInput[], opts?: RecordOptions) => written(recordMovements(db, inputs, opts)),
    /**
     * For connectors: records what it can; a record whose SKU or location is unknown is reported `rejected`
     * (with the field), a reused key with other content `conflict`, and the rest go through.
     */
    async recordExternal(list: readonly ExternalMovement[]): Promise<ExternalOutcome[]> {
      const resolved = await Promise.all(list.map(resolveMovement));
      const good = resolved.filter((r): r is MovementInput => !('field' in r));
      const outcomes = await written(recordMovements(db, good, { onConflict: 'report' }));
      const byKey = new Map(outcomes.map((o) => [o.idempotencyKey, o]));
      return resolved.map((r, i) =>
        'field' in r ? { idempotencyKey: list[i]!.idempotencyKey, status: 'rejected' as const, field: r.field, message: r.message } : byKey.get(r.idempotencyKey)!,
      );
    },
    /** Resolves codes and reconciles; an unknown SKU or location fails the snapshot naming the row. */
    async reconcile(s: ExternalSnapshot): Promise<ReconciliationResult> {
      const locationIds: string[] = [];
      for (const [i, c] of s.locationCodes.entries()) {
        const loc = await refs.locationByCode(c);
        if (!loc) throw new StockError('STOCK_UNKNOWN_REFERENCE', `locations.${i}: no warehouse, dealer or store with code ${c}`, `locations.${i}`);
        locationIds.push(loc.id);
      }
      const rows = [];
      const codeToId = new Map(s.locationCodes.map((c, i) => [c, locationIds[i]!]));
      for (const [i, r] of s.rows.entries()) {
        const sku = await refs.skuByGtin(r.gtin);
        if (!sku) throw new StockError('STOCK_UNKNOWN_REFERENCE', `rows.${i}.sku: no SKU with GTIN ${r.gtin}`, `rows.${i}.sku`);
        const locationId = codeToId.get(r.locationCode);
        if (!locationId) throw new StockError('STOCK_INVALID_SNAPSHOT', `rows.${i}.location: ${r.locationCode} is not one of the snapshot's locations`, `rows.${i}.location`);
        rows.push({ skuId: sku.id, batch: r.batch, expiryDate: r.expiryDate, locationId, onHand: r.onHand, reserved: r.reserved, inTransit: r.inTransit });
      }
      return written(reconcileSnapshot(db, { key: s.key, source: s.source, asOf: s.asOf, locationIds, rows, partial: s.partial }));
    },
    reconcileResolved: (snap: Parameters<typeof reconcileSnapshot>[1]) => written(reconcileSnapshot(db, snap)),
    /** Ordering: atomic first-expiry-first-out reservations inside the caller's transaction (reservations.ts). */
    // The caller commits later: the view may hold the pre-commit figures for up to its one second, as for any reader.
    reserveFirstExpiryFirst: (...a: Parameters<typeof reserveFirstExpiryFirst>) => written(reserveFirstExpiryFirst(...a)),
    /**
     * Ordering: runs a statement that reserves through the database function `stock_reserve_first_expiry_first` (as
     * `order_place` does), mapping its errors to StockError; the network view is refreshed after it.
     */
    reservingInDatabase: <T>(work: () => Promise<T>) =>
      written(
        work().catch((err: unknown) => {
          throw asStockError(err);
        }),
      ),
    /** Ordering: releases, dispatches and receipts of reserved stock inside the caller's transaction. */
    applyOrderStockChanges: (...a: Parameters<typeof applyOrderStockChanges>) => written(applyOrderStockChanges(...a)),
    allocateFirstExpiryFirst: (skuId: string, locationId: string, quantity: number) => allocateFirstExpiryFirst(db, skuId, locationId, quantity),
    network: (q: Omit<NetworkQuery, 'today' | 'now'> & { today?: string }) => {
      const now = clock();
      return networkStock(db, { ...q, now, today: q.today ?? localDate(now) }, reader);
    },
  };
}

export type StockService = ReturnType<typeof createStockService>;
