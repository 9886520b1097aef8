import type { Kysely } from 'kysely';
import type { Database } from '../platform/db';
import { SKU_CATEGORIES, type OrderPriceLevel } from '../platform/db/schema';
import type { StockService } from '../stock/service';
import type { OrderParty, OrderReferences } from './references';

const RAD = Math.PI / 180;
/** Great-circle distance in km: the transport cost proxy until a freight table exists. */
export function distanceKm(a: { lat: number | null; lng: number | null }, b: { lat: number | null; lng: number | null }): number {
  if (a.lat === null || a.lng === null || b.lat === null || b.lng === null) return Number.POSITIVE_INFINITY;
  const dLat = (b.lat - a.lat) * RAD;
  const dLng = (b.lng - a.lng) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLng / 2) ** 2;
  return 12_742 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Where an order's stock comes from, in order: a downstream order from its supplier's own stock; an order placed
 * with HQ from the buyer's serving warehouse (set by HQ, else the nearest), then the other warehouses by distance.
 */
export async function sourceLocations(refs: OrderReferences, buyer: OrderParty, sellerId: string | null): Promise<string[]> {
  if (sellerId) return [sellerId];
  const all = (await refs.warehouses()).filter((w) => w.status === 'active');
  const byCost = [...all].sort((a, b) => distanceKm(buyer, a) - distanceKm(buyer, b) || (a.code < b.code ? -1 : 1));
  const serving = await refs.servingWarehouseOf(buyer.id);
  const first = serving && byCost.some((w) => w.id === serving) ? serving : byCost[0]?.id;
  return first ? [first, ...byCost.map((w) => w.id).filter((id) => id !== first)] : [];
}

/**
 * What allocation needs from master data, read before the transaction opens: a transaction that waited for a second
 * pool connection could deadlock the pool under load.
 */
export async function allocationContext(refs: OrderReferences, buyer: OrderParty, sellerId: string | null, level: OrderPriceLevel) {
  const locations = await sourceLocations(refs, buyer, sellerId);
  const minDaysLeft = new Map<string, number>();
  for (const c of SKU_CATEGORIES) minDaysLeft.set(c, await refs.minDaysLeft(level, c));
  return { locations, minDaysLeft };
}

export interface LineToAllocate {
  lineNo: number;
  skuId: string;
  category: Parameters<OrderReferences['minDaysLeft']>[1];
  /** Units still to reserve (ordered + free − already allocated). */
  want: number;
  /** Units already allocated: part of the reservation key, so each step of a back-order has its own. */
  allocatedSoFar: number;
}

export interface LineAllocation {
  lineNo: number;
  reserved: number;
  picks: Array<{ locationId: string; batch: string; expiryDate: string | null; quantity: number; movementKey: string }>;
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The first expiry day a line may take (today + the level's minimum days left for the category), or null: any. */
export function notExpiringBefore(minDaysLeft: ReadonlyMap<string, number>, category: string, today: string): string | null {
  const days = minDaysLeft.get(category) ?? 0;
  return days > 0 ? addDays(today, days) : null;
}

/**
 * Reserves what the lines still need (first-expiry-first-out, never a batch closer to expiry than the buyer's level
 * accepts for the category) and records the allocations, in the caller's transaction.
 */
export async function allocateLines(
  trx: Kysely<Database>,
  deps: { stock: StockService },
  order: { id: string; locations: string[]; minDaysLeft: ReadonlyMap<string, number>; today: string; at: Date },
  lines: readonly LineToAllocate[],
): Promise<LineAllocation[]> {
  const todo = lines.filter((l) => l.want > 0);
  if (todo.length === 0 || order.locations.length === 0) return lines.map((l) => ({ lineNo: l.lineNo, reserved: 0, picks: [] }));
  const requests = [];
  for (const l of todo) {
    requests.push({ key: `order:${order.id}:${l.lineNo}:${l.allocatedSoFar}`, skuId: l.skuId, quantity: l.want, locationIds: order.locations, notExpiringBefore: notExpiringBefore(order.minDaysLeft, l.category, order.today) });
  }
  const results = await deps.stock.reserveFirstExpiryFirst(trx, requests, { reference: `order:${order.id}`, at: order.at });
  const out = todo.map((l, i) => ({ lineNo: l.lineNo, reserved: results[i]!.reserved, picks: results[i]!.picks }));
  const rows = out.flatMap((a) => a.picks.map((p) => ({ order_id: order.id, line_no: a.lineNo, sku_id: todo.find((l) => l.lineNo === a.lineNo)!.skuId, location_id: p.locationId, batch: p.batch, expiry_date: p.expiryDate, quantity: p.quantity, reservation_key: p.movementKey })));
  if (rows.length > 0) await trx.insertInto('order_allocations').values(rows).execute();
  return out;
}
