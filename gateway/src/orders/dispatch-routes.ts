import { z } from 'zod';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { code, text, uuidParam } from '../platform/http/schemas';
import type { DispatchService } from './dispatch';
import { actorOf, orderProblem } from './routes';

const read = { roles: ['hq', 'dealer', 'store'], scope: 'orders:read' } as const;
const write = { roles: ['hq', 'dealer', 'store'], scope: 'orders:write' } as const;
const sell = { roles: ['hq', 'dealer'], scope: 'orders:approve' } as const;

const mapped = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (err) {
    throw orderProblem(err);
  }
};

/** Dispatch of orders (docs/ordering.md): the task, the scan-versus-order view, the confirmation, receiving and closing. */
export function dispatchRoutes(dispatch: DispatchService): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/dispatch-task',
      summary: 'Start dispatching an allocated order (→ picking): WMS task, trace binding to the buyer, set_order to the line; again while picking re-sends set_order',
      tags: ['orders'],
      access: sell,
      params: uuidParam,
      body: z.strictObject({ device: code.optional(), line: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be 1–40 letters, digits, dot, dash or underscore').optional() }).default({}),
      handler: ({ params, body, principal }) => mapped(() => dispatch.createTask(params.id, actorOf(principal), body)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/orders/:id/dispatch',
      summary: 'Scanned cases against the allocations: matched, short, over, wrong SKU, wrong batch; and what the buyer has scanned in',
      tags: ['orders'],
      access: read,
      params: uuidParam,
      handler: ({ params, principal }) => mapped(() => dispatch.view(params.id, actorOf(principal))),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/dispatch',
      summary: 'Confirm the dispatch (→ dispatched) when the scans match; 409 with the discrepancies otherwise (HQ may override with a reason)',
      tags: ['orders'],
      access: sell,
      params: uuidParam,
      body: z.strictObject({ override_reason: text(500).optional() }).default({}),
      handler: ({ params, body, principal }) => mapped(() => dispatch.confirm(params.id, actorOf(principal), body.override_reason)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/receive',
      summary: 'The buyer received the order (→ delivered): the stock in transit becomes on hand at the buyer',
      tags: ['orders'],
      access: write,
      params: uuidParam,
      body: z.strictObject({ note: text(500).optional() }).default({}),
      handler: ({ params, body, principal }) => mapped(() => dispatch.receive(params.id, actorOf(principal), body.note)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/orders/:id/close',
      summary: 'Close a delivered order (HQ or the selling party)',
      tags: ['orders'],
      access: sell,
      params: uuidParam,
      body: z.strictObject({ reason: text(500).optional() }).default({}),
      handler: ({ params, body, principal }) => mapped(() => dispatch.close(params.id, actorOf(principal), body.reason)),
    }),
  ];
}
