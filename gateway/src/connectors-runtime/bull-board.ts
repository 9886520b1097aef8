import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type express from 'express';
import type { Queue } from 'bullmq';
import { HttpProblem } from '../platform/http/problem';
import { type Authenticate, authorise } from '../platform/http/route';

export const QUEUES_PATH = '/admin/queues';

/**
 * The BullMQ dashboard at /admin/queues, for HQ administrators only (role hq, scope connectors:admin), signed in
 * with a bearer token or an API key like every other route. Queues registered later (connectors added at run
 * time) are picked up on each request.
 */
export function mountQueueDashboard(app: express.Express, queues: () => Queue[], authenticate: Authenticate): void {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUES_PATH);
  const board = createBullBoard({ queues: [], serverAdapter: adapter });
  let shown = new Set<string>();
  app.use(
    QUEUES_PATH,
    async (req, _res, next) => {
      try {
        authorise({ roles: ['hq'], scope: 'connectors:admin' }, await authenticate(req));
        const qs = queues();
        if (qs.length !== shown.size || qs.some((q) => !shown.has(q.name))) {
          board.replaceQueues(qs.map((q) => new BullMQAdapter(q, { readOnlyMode: false })));
          shown = new Set(qs.map((q) => q.name));
        }
        next();
      } catch (err) {
        next(err instanceof HttpProblem ? err : new HttpProblem('unauthenticated'));
      }
    },
    adapter.getRouter(),
  );
}
