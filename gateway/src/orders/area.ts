import type { InterceptionService } from '../interception/service';
import type { Db } from '../platform/db';
import type { AnyRoute } from '../platform/http/route';
import type { JobRunner } from '../platform/jobs';
import type { Logger } from '../platform/logging';
import type { PricingService } from '../pricing/service';
import type { StockService } from '../stock/service';
import { createCreditService, createReceivables } from './credit';
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
  clock?: () => Date;
}

/** Ordering composed for gateway.ts: its service, routes and the webhook delivery job (registered on `jobs`). */
export function startOrdersArea(deps: OrdersAreaDeps): { orders: OrderService; routes: AnyRoute[] } {
  const refs = createOrderReferences({ db: deps.db, pricing: deps.pricing });
  deps.jobs.register(orderWebhookJob({ db: deps.db }));
  const notifier = createOrderNotifier({ db: deps.db, jobs: deps.jobs });
  const receivables = createReceivables(deps.db);
  const orders = createOrderService({ db: deps.db, refs, stock: deps.stock, interception: deps.interception, notifier, receivables, log: deps.log, ...(deps.clock ? { clock: deps.clock } : {}) });
  const credit = createCreditService(deps.db, receivables);
  return { orders, routes: orderRoutes({ db: deps.db, orders, credit, refs, notifier }) };
}
