import type express from 'express';
import type { Db } from '../platform/db';
import type { ReadinessCheck } from '../platform/http/app';
import type { AnyRoute, Authenticate } from '../platform/http/route';
import type { JobRunner } from '../platform/jobs';
import type { Logger } from '../platform/logging';
import type { Metrics } from '../platform/metrics';
import type { PartyVisibility } from '../parties/visibility';
import { loadConnectorsConfig } from '../connectors-runtime/config';
import { startConnectors } from '../connectors-runtime';
import { expiryWarningsJob } from '../expiry/job';
import { expiryRoutes } from '../expiry/routes';
import { stockRoutes } from './routes';
import { createStockService, type StockService } from './service';

export interface StockAreaDeps {
  db: Db;
  jobs: JobRunner;
  metrics: Metrics;
  visibility: PartyVisibility;
  authenticate: Authenticate;
  log: Logger;
  /** Where the connectors' configuration is read from (CONNECTORS_CONFIG); default process.env. */
  env?: NodeJS.ProcessEnv;
  clock?: () => Date;
}

export interface StockArea {
  stock: StockService;
  routes: AnyRoute[];
  /** Creates a WMS dispatch task (connectors-runtime/wms.ts); null when no WMS is configured. */
  createDispatchTask: ReturnType<typeof startConnectors>['createDispatchTask'];
  readiness: Record<string, ReadinessCheck>;
  /** Mounts what is not a plain API route (the queue dashboard); pass to createHttpApp's `extra`. */
  mount(app: express.Express): void;
  close(): Promise<void>;
}

/** The stock ledger and everything that feeds it (expiry warnings, connectors), composed for gateway.ts. */
export async function startStockArea(deps: StockAreaDeps): Promise<StockArea> {
  const clock = deps.clock ?? (() => new Date());
  const stock = createStockService({ db: deps.db, clock });
  deps.jobs.register(expiryWarningsJob({ db: deps.db, clock }));
  const env = deps.env ?? process.env;
  const connectors = startConnectors({ config: loadConnectorsConfig(env), db: deps.db, stock, jobs: deps.jobs, metrics: deps.metrics, authenticate: deps.authenticate, log: deps.log, env });
  const routes = [
    ...stockRoutes({ db: deps.db, stock, visibility: deps.visibility }),
    ...expiryRoutes({ db: deps.db, stock, visibility: deps.visibility, jobs: deps.jobs }),
    ...connectors.routes,
  ];
  return {
    stock,
    routes,
    createDispatchTask: connectors.createDispatchTask,
    readiness: connectors.readiness,
    mount: (app) => connectors.mount(app),
    close: () => connectors.close(),
  };
}
