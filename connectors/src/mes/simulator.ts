import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { FaultPlan, sleep } from '../faults';
import type { BatchRecord, ProductionOrder } from '../records';

/** A factory MES with a REST API (production orders, batch records as feeds), with the same fault injection. */
export async function startMesSimulator(opts: { port?: number } = {}) {
  const faults = new FaultPlan();
  const orders: ProductionOrder[] = [];
  const batches: Array<BatchRecord | Record<string, unknown>> = [];
  const app = express();
  app.use(async (req, res, next) => {
    const f = faults.take(req.path, { ...req.query });
    if (!f) return next();
    if (f.kind === 'timeout') return;
    if (f.kind === 'slow') {
      await sleep(f.delayMs ?? 1000);
      return next();
    }
    if (f.kind === 'malformed') return void res.type('application/json').send('{"items": [');
    res.status(500).json({ error: 'injected' });
  });
  const feed = (list: Array<{ seq?: unknown }>) => (req: express.Request, res: express.Response) => {
    const after = Number(req.query.after ?? 0);
    const items = list.filter((x) => Number(x.seq) > after).slice(0, Math.min(Number(req.query.limit ?? 100), 1000));
    res.json({ items, last: items.length ? Number(items[items.length - 1]!.seq) : after });
  };
  app.get('/api/production-orders', feed(orders));
  app.get('/api/batch-records', feed(batches));
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(opts.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    addOrder(o: Omit<ProductionOrder, 'seq'>) {
      orders.push({ ...o, seq: orders.length + 1 });
    },
    /** A batch record; `raw` fields override it verbatim (bad data). */
    addBatch(b: Omit<BatchRecord, 'seq'>, raw: Record<string, unknown> = {}) {
      batches.push({ ...b, seq: batches.length + 1, ...raw });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export type MesSimulator = Awaited<ReturnType<typeof startMesSimulator>>;
