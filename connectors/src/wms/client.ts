import { z } from 'zod';
import {
  type DispatchConfirmation,
  dispatchConfirmationSchema,
  type DispatchTask,
  movementSchema,
  partition,
  type RejectedRecord,
  type SourceMovement,
  type StockRow,
  stockRowSchema,
} from '../records';
import type { EndpointGuard } from '../resilience';
import { confirmationToCanonical, movementToCanonical, stockItemToRow, taskToWire, wmsPath } from './wire';

export interface WmsClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; the WMS's API token. */
  token?: string | undefined;
  guard: EndpointGuard;
  timeoutMs?: number;
}

export class SourceResponseError extends Error {
  override name = 'SourceResponseError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const page = z.object({ items: z.array(z.unknown()), last: z.number().int().min(0) });
const snapshot = z.object({ asOf: z.iso.datetime({ offset: true }), site: z.string(), items: z.array(z.unknown()) });

/** REST client of the central WMS: stock snapshots, movement and dispatch-confirmation feeds, dispatch tasks. */
export function createWmsClient(opts: WmsClientOptions) {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> =>
    opts.guard.run(async () => {
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
      const res = await fetch(new URL(path, opts.baseUrl), {
        method,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await res.text();
      if (!res.ok) throw new SourceResponseError(`WMS ${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
      try {
        return JSON.parse(text);
      } catch {
        throw new SourceResponseError(`WMS ${method} ${path} answered a body that is not JSON: ${text.slice(0, 80)}`);
      }
    });
  const parse = <T>(schema: z.ZodType<T>, v: unknown, what: string): T => {
    const r = schema.safeParse(v);
    if (!r.success) throw new SourceResponseError(`WMS ${what}: unexpected shape at ${r.error.issues[0]?.path.join('.') || '(root)'}: ${r.error.issues[0]?.message}`);
    return r.data;
  };
  const keyOf = (field: string) => (raw: unknown, i: number) => String((raw as Record<string, unknown> | null)?.[field] ?? `#${i}`);

  return {
    /** The WMS's full stock of one warehouse, as of its own time. */
    async stockSnapshot(site: string, signal?: AbortSignal): Promise<{ asOf: Date; good: StockRow[]; rejected: RejectedRecord[] }> {
      const s = parse(snapshot, await call('GET', `/api/v2/stock?site=${encodeURIComponent(site)}`, undefined, signal), 'stock');
      const { good, rejected } = partition(s.items, stockItemToRow, stockRowSchema, { pathOf: (i, f) => wmsPath('items', i, f), keyOf: (r, i) => `${s.asOf}#${i}` });
      return { asOf: new Date(s.asOf), good, rejected };
    },
    /** Movements after a feed position, oldest first. */
    async movements(after: number, limit: number, signal?: AbortSignal): Promise<{ good: SourceMovement[]; rejected: RejectedRecord[]; indices: number[]; last: number }> {
      const p = parse(page, await call('GET', `/api/v2/movements?after=${after}&limit=${limit}`, undefined, signal), 'movements');
      return { ...partition(p.items, movementToCanonical, movementSchema, { pathOf: (i, f) => wmsPath('items', i, f), keyOf: keyOf('movementId') }), last: p.last };
    },
    async dispatchConfirmations(after: number, limit: number, signal?: AbortSignal): Promise<{ good: DispatchConfirmation[]; rejected: RejectedRecord[]; indices: number[]; last: number }> {
      const p = parse(page, await call('GET', `/api/v2/dispatch-confirmations?after=${after}&limit=${limit}`, undefined, signal), 'dispatch confirmations');
      return { ...partition(p.items, confirmationToCanonical, dispatchConfirmationSchema, { pathOf: (i, f) => wmsPath('items', i, f), keyOf: keyOf('taskNo') }), last: p.last };
    },
    /** Sends a dispatch task; the WMS keys it by task number, so sending it again is harmless. */
    async pushDispatchTask(task: DispatchTask, signal?: AbortSignal): Promise<void> {
      await call('POST', '/api/v2/dispatch-tasks', taskToWire(task), signal);
    },
  };
}

/** Parses a webhook body the WMS pushed: movements and/or dispatch confirmations. */
export function parseWmsWebhook(body: unknown): {
  movements: { good: SourceMovement[]; rejected: RejectedRecord[]; indices: number[] };
  confirmations: { good: DispatchConfirmation[]; rejected: RejectedRecord[]; indices: number[] };
} {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { movements?: unknown; confirmations?: unknown };
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  return {
    movements: partition(list(b.movements), movementToCanonical, movementSchema, { pathOf: (i, f) => wmsPath('movements', i, f), keyOf: (r, i) => String((r as Record<string, unknown> | null)?.movementId ?? `#${i}`) }),
    confirmations: partition(list(b.confirmations), confirmationToCanonical, dispatchConfirmationSchema, { pathOf: (i, f) => wmsPath('confirmations', i, f), keyOf: (r, i) => String((r as Record<string, unknown> | null)?.taskNo ?? `#${i}`) }),
  };
}

export type WmsClient = ReturnType<typeof createWmsClient>;
