import { z } from 'zod';
import { type BatchRecord, batchRecordSchema, partition, type ProductionOrder, productionOrderSchema, type RejectedRecord } from '../records';
import type { EndpointGuard } from '../resilience';
import { SourceResponseError } from '../wms/client';

export interface MesClientOptions {
  baseUrl: string;
  token?: string | undefined;
  guard: EndpointGuard;
  timeoutMs?: number;
}

const page = z.object({ items: z.array(z.unknown()), last: z.number().int().min(0) });
/** The MES answers in canonical field names already; errors name them as `items[i].field`. */
const pathOf = (i: number, f: string) => `items[${i}]${f ? `.${f}` : ''}`;

/** REST client of the factory MES: production orders and batch records, as feeds with positions. */
export function createMesClient(opts: MesClientOptions) {
  const get = (path: string) =>
    opts.guard.run(async () => {
      const res = await fetch(new URL(path, opts.baseUrl), { headers: { accept: 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) }, signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
      const text = await res.text();
      if (!res.ok) throw new SourceResponseError(`MES GET ${path} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new SourceResponseError(`MES GET ${path} answered a body that is not JSON`);
      }
      const p = page.safeParse(json);
      if (!p.success) throw new SourceResponseError(`MES GET ${path}: unexpected shape: ${p.error.issues[0]?.message}`);
      return p.data;
    });
  const keyOf = (field: string) => (raw: unknown, i: number) => String((raw as Record<string, unknown> | null)?.[field] ?? `#${i}`);
  return {
    async productionOrders(after: number, limit: number): Promise<{ good: ProductionOrder[]; rejected: RejectedRecord[]; indices: number[]; last: number }> {
      const p = await get(`/api/production-orders?after=${after}&limit=${limit}`);
      return { ...partition(p.items, (r) => r, productionOrderSchema, { pathOf, keyOf: keyOf('orderNo') }), last: p.last };
    },
    async batchRecords(after: number, limit: number): Promise<{ good: BatchRecord[]; rejected: RejectedRecord[]; indices: number[]; last: number }> {
      const p = await get(`/api/batch-records?after=${after}&limit=${limit}`);
      return { ...partition(p.items, (r) => r, batchRecordSchema, { pathOf, keyOf: (r, i) => `${keyOf('gtin')(r, i)}/${keyOf('batch')(r, i)}` }), last: p.last };
    },
  };
}

export type MesClient = ReturnType<typeof createMesClient>;
