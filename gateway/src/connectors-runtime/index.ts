import type express from 'express';
import { z } from 'zod';
import type { Db } from '../platform/db';
import type { ReadinessCheck } from '../platform/http/app';
import { HttpProblem, notFound } from '../platform/http/problem';
import { defineRoute } from '../platform/http/route';
import { code } from '../platform/http/schemas';
import type { AnyRoute, Authenticate } from '../platform/http/route';
import { type BullMqJobRunner, defineJob, type JobRunner } from '../platform/jobs';
import type { Logger } from '../platform/logging';
import type { Metrics } from '../platform/metrics';
import type { StockService } from '../stock/service';
import { mountQueueDashboard } from './bull-board';
import { type ConnectorsConfig } from './config';
import { connectorHealth, registerConnectorMetrics } from './health';
import { connectorAdminRoutes } from './routes';
import { createConnectorState } from './state';
import { createErpConnector, dealerReceivables } from './erp';
import { createMesConnector } from './mes';
import { createWmsConnector } from './wms';

export interface ConnectorsDeps {
  config: ConnectorsConfig;
  db: Db;
  stock: StockService;
  jobs: JobRunner;
  metrics: Metrics;
  authenticate: Authenticate;
  log: Logger;
  env: NodeJS.ProcessEnv;
}

interface Connector {
  id: string;
  guard: { state(): 'closed' | 'open' | 'half-open' };
  jobs: Array<Parameters<JobRunner['register']>[0]>;
  routes: AnyRoute[];
  replay(stream: string, record: unknown): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds every configured connector, registers its sync jobs on the runner (schedules, retries with backoff and
 * jitter, dead letters), and exposes their routes, health (/readyz, /metrics) and the queue dashboard.
 */
export function startConnectors(deps: ConnectorsDeps) {
  const state = createConnectorState(deps.db);
  const connectors: Connector[] = [];
  const wms = deps.config.wms ? createWmsConnector({ cfg: deps.config.wms, db: deps.db, stock: deps.stock, state, jobs: deps.jobs, env: deps.env }) : null;
  if (wms) connectors.push(wms);
  for (const cfg of deps.config.erps) connectors.push(createErpConnector({ cfg, db: deps.db, stock: deps.stock, state, jobs: deps.jobs, env: deps.env }));
  for (const cfg of deps.config.mes) connectors.push(createMesConnector({ cfg, db: deps.db, state, env: deps.env }));

  for (const c of connectors) for (const j of c.jobs) deps.jobs.register(j);
  deps.jobs.register(
    defineJob({
      name: 'connectors-housekeeping',
      schema: z.object({}),
      schedule: { everyMs: 3_600_000, payload: {} },
      handler: async () => ({ pruned: await state.prune() }),
    }),
  );

  const health = () => connectorHealth(deps.db, connectors.map((c) => ({ id: c.id, breaker: () => c.guard.state() })));
  registerConnectorMetrics(deps.metrics.registry, health);

  const byId = new Map(connectors.map((c) => [c.id, c]));
  const routes: AnyRoute[] = [
    ...connectors.flatMap((c) => c.routes),
    defineRoute({
      method: 'get',
      path: '/api/v1/connectors/erp/receivables',
      summary: 'What a dealer owes per ERP (invoices minus payments, overdue part) beside its credit limit there',
      tags: ['connectors'],
      access: { roles: ['hq'], scope: 'connectors:admin' },
      query: z.strictObject({ dealer: code }),
      async handler({ query }) {
        const dealer = await deps.db.selectFrom('parties').select('id').where('code', '=', query.dealer).where('kind', '=', 'dealer').executeTakeFirst();
        if (!dealer) throw notFound(`Dealer ${query.dealer}`);
        return { dealer: query.dealer, accounts: await dealerReceivables(deps.db, dealer.id) };
      },
    }),
    ...connectorAdminRoutes({
      db: deps.db,
      jobs: deps.jobs,
      health,
      replay: async (connector, stream, record) => {
        const c = byId.get(connector);
        if (!c) throw new HttpProblem('conflict', `connector ${connector} is not configured here`);
        await c.replay(stream, record);
      },
    }),
  ];

  // Readiness reports each connector but never fails because of one: a slow ERP must not take the gateway
  // out of its load balancer. Its health is for operators and alerts (/metrics).
  const readiness: Record<string, ReadinessCheck> = connectors.length
    ? {
        connectors: async () => {
          const h = await health();
          return { degraded: h.filter((x) => x.breaker === 'open' || (x.error_rate ?? 0) > 0.5).map((x) => x.connector), connectors: h };
        },
      }
    : {};

  return {
    connectors,
    /** The WMS connector's dispatch tasks (ordering pushes its orders' picks); null when no WMS is configured. */
    createDispatchTask: wms ? wms.createDispatchTask : null,
    routes,
    readiness,
    mount(app: express.Express) {
      if (deps.jobs.driver === 'bullmq') mountQueueDashboard(app, () => (deps.jobs as BullMqJobRunner).queues(), deps.authenticate);
    },
    /**
     * The gateway closes its areas before the job runner, while a sync may still be running: the guards are
     * left open for it (their timers are unref'd) and shut only when the process ends.
     */
    async close() {},
  };
}
