import type { TestGateway } from '../testing/gateway';
import { chinaDay } from './service';

/** Helpers for ordering's tests against a whole demo gateway. */
export function orderFixture(gw: TestGateway, hq: string) {
  let n = 0;
  const today = chinaDay(new Date());
  const inDays = (d: number) => new Date(Date.parse(`${today}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
  return {
    today,
    inDays,
    key: (prefix = 'k') => `${prefix}-${process.pid}-${++n}-${Math.random().toString(36).slice(2, 8)}`,
    /** Puts stock on hand at a location through the stock API (a receipt movement). */
    async receive(gtin: string, location: string, batch: string, expiry: string | null, onHand: number) {
      const r = await gw.call('POST', '/api/v1/stock/movements', {
        token: hq,
        body: { movements: [{ idempotency_key: `test-receipt-${gtin}-${location}-${batch}-${++n}`, source: 'test', reason: 'receipt', sku: gtin, batch, expiry_date: expiry, location, on_hand: onHand, occurred_at: new Date(Date.now() - 60_000).toISOString() }] },
      });
      if (r.status !== 200 && r.status !== 201) throw new Error(`receipt failed: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async skus(category: string, limit: number, offset = 0): Promise<Array<{ id: string; gtin: string; units_per_case: number; pack_sizes: number[] }>> {
      const r = await gw.call('GET', `/api/v1/skus?category=${category}&status=active&limit=${limit}&offset=${offset}`, { token: hq });
      return r.body.items;
    },
    async balances(gtin: string): Promise<Array<{ location_code: string; batch: string; on_hand: number; reserved: number }>> {
      const r = await gw.call('GET', `/api/v1/stock/network?sku=${gtin}`, { token: hq });
      if (r.status !== 200) throw new Error(`network: ${r.status} ${JSON.stringify(r.body)}`);
      const out = [];
      for (const sku of r.body.items) for (const l of sku.locations) for (const b of l.batches) out.push({ location_code: l.location.code, batch: b.batch, on_hand: b.on_hand, reserved: b.reserved });
      return out;
    },
    async countOrders(): Promise<number> {
      return (await gw.call('GET', '/api/v1/orders?limit=1', { token: hq })).body.total;
    },
  };
}
