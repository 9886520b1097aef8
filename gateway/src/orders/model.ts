import type { OrderPriceLevel, OrderState } from '../platform/db/schema';

export type { OrderPriceLevel, OrderState };

export const ORDER_STATES: readonly OrderState[] = ['draft', 'submitted', 'held', 'approved', 'allocated', 'picking', 'dispatched', 'delivered', 'closed', 'cancelled'];

/**
 * The order's life: draft → submitted → approved → allocated → picking → dispatched → delivered → closed; a submitted
 * order that breaks a rule (credit, delivery outside the authorised region) is held until approved; anything not yet
 * on the truck may be cancelled. Every other move is refused.
 */
export const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  draft: ['submitted', 'cancelled'],
  submitted: ['approved', 'held', 'cancelled'],
  held: ['approved', 'cancelled'],
  approved: ['allocated', 'cancelled'],
  // allocated → allocated: back-ordered units reserved later.
  allocated: ['allocated', 'picking', 'cancelled'],
  picking: ['dispatched', 'cancelled'],
  dispatched: ['delivered'],
  delivered: ['closed'],
  closed: [],
  cancelled: [],
};

export const canMove = (from: OrderState, to: OrderState) => TRANSITIONS[from].includes(to);

/** States in which an approved order's total counts towards its buyer's credit exposure. */
export const EXPOSED_STATES: readonly OrderState[] = ['approved', 'allocated', 'picking', 'dispatched'];

export type HoldReason = 'credit' | 'region';

/** Domain errors of ordering, each with a stable code; routes map them to problem types. */
export class OrderError extends Error {
  override name = 'OrderError';
  constructor(
    readonly code:
      | 'ORDER_INVALID'
      | 'ORDER_NOT_FOUND'
      | 'ORDER_KEY_REUSED'
      | 'ORDER_BAD_TRANSITION'
      | 'ORDER_ACCOUNT_SUSPENDED'
      | 'ORDER_FORBIDDEN'
      | 'ORDER_CREDIT_EXCEEDED'
      | 'ORDER_DISPATCH_MISMATCH',
    message: string,
    readonly field?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const invalidOrder = (field: string, message: string) => new OrderError('ORDER_INVALID', `${field}: ${message}`, field);
export const badTransition = (from: OrderState, to: OrderState) =>
  new OrderError('ORDER_BAD_TRANSITION', `an order that is ${from} cannot become ${to} (allowed from ${from}: ${TRANSITIONS[from].join(', ') || 'nothing'})`, 'state', { state: from, requested: to });

/** Who acts on an order, for the history. */
export interface Actor {
  name: string;
  role: 'hq' | 'dealer' | 'store' | 'system';
  partyId: string | null;
}

export const SYSTEM: Actor = { name: 'system', role: 'system', partyId: null };

export interface CreditFigures {
  credit_limit: number | null;
  unpaid_invoices: number;
  open_orders: number;
  exposure: number;
  order_total: number;
  /** What the limit leaves for new orders (negative: already over). */
  available: number | null;
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
