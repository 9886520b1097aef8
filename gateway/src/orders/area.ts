import type { InterceptionService } from '../interception/service';
import type { Db } from '../platform/db';
import type { AnyRoute } from '../platform/http/route';
import type { JobRunner } from '../platform/jobs';
import type { Logger } from '../platform/logging';
import type { PricingService } from '../pricing/service';
import type { StockService } from '../stock/service';
import { createCreditService, createReceivables } from './credit';
import { type CreateWmsTask, createDispatchService } from './dispatch';
import { dispatchRoutes } from './dispatch-routes';
import { createOrderReferences } from './references';
import { orderRoutes } from './routes';
import { createOrderService, type OrderService } from './service';
import { createOrderNotifier, orderWebhookJob } from './webhooks';

export interface OrdersAreaDeps {
  db: Db;
  jobs: JobRunner;
  stock: StockService;
  pricing: PricingService;
  interception: InterceptionService;
  log: Logger;
  /** The WMS connector's dispatch tasks; null when no WMS is configured. */
  createWmsTask?: CreateWmsTask | null;
  /** Publishes a command to an edge device through the gateway's MQTT client. */
  publish?: ((topic: string, payload: string) => Promise<void>) | null;
  clock?: () => Date;
}

/** Ordering composed for gateway.ts: its service, routes, the webhook delivery and receiving-scan jobs (registered on `jobs`). */
export function startOrdersArea(deps: OrdersAreaDeps): { orders: OrderService; routes: AnyRoute[] } {
  const refs = createOrderReferences({ db: deps.db, pricing: deps.pricing });
  deps.jobs.register(orderWebhookJob({ db: deps.db }));
  const notifier = createOrderNotifier({ db: deps.db, jobs: deps.jobs });
  const receivables = createReceivables(deps.db);
  const orders = createOrderService({ db: deps.db, refs, stock: deps.stock, interception: deps.interception, notifier, receivables, log: deps.log, ...(deps.clock ? { clock: deps.clock } : {}) });
  const credit = createCreditService(deps.db, receivables);
  const dispatch = createDispatchService({ db: deps.db, orders, stock: deps.stock, log: deps.log, createWmsTask: deps.createWmsTask ?? null, publish: deps.publish ?? null });
  deps.jobs.register(dispatch.receivingJob);
  return { orders, routes: [...orderRoutes({ db: deps.db, orders, credit, refs, notifier }), ...dispatchRoutes(dispatch)] };
}
