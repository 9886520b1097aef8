/** Domain errors of the stock area, each with a stable code; routes map them to problem types. */
export class StockError extends Error {
  override name = 'StockError';
  constructor(
    readonly code: 'STOCK_KEY_CONFLICT' | 'STOCK_INVALID_SNAPSHOT' | 'STOCK_UNKNOWN_REFERENCE' | 'STOCK_NOT_AVAILABLE',
    message: string,
    /** Where the bad value is, e.g. `rows.12.locationId` or `movements.3.idempotency_key`. */
    readonly field?: string,
  ) {
    super(message);
  }
}
