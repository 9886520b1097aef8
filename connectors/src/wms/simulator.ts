import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { FaultPlan, sleep } from '../faults';
import type { WmsConfirmation, WmsMovement, WmsStockItem } from './wire';

export interface WmsSimulatorOptions {
  /** The warehouse code(s) this WMS runs. */
  sites: string[];
  /** Where webhooks go (the gateway's /api/v1/connectors/wms/webhook), and the API key to send. */
  webhook?: { url: string; apiKey: string } | undefined;
  /** Deliver each new movement/confirmation by webhook at once (default false: call deliverWebhooks()). */
  autoWebhook?: boolean;
  port?: number;
}

type Pos = { bestBefore: string | null; onHand: number; allocated: number; inTransit: number };

/**
 * A warehouse management system with a REST API, for tests and the demo: keeps stock per site × SKU × lot,
 * a movement feed and dispatch tasks, pushes webhooks, and misbehaves on demand (`faults`, duplicated and
 * out-of-order webhooks, a restart that replays old data).
 */
export async function startWmsSimulator(opts: WmsSimulatorOptions) {
  const faults = new FaultPlan();
  const stock = new Map<string, Pos>();
  const movements: WmsMovement[] = [];
  const confirmations: WmsConfirmation[] = [];
  const tasks = new Map<string, { taskNo: string; site: string; shipTo: string; lines: Array<{ sku: string; lot: string; bestBefore: string | null; qty: number }>; received: number }>();
  let clock = () => new Date();
  let undelivered: Array<{ movements?: WmsMovement[]; confirmations?: WmsConfirmation[] }> = [];
  /** After restart(): the snapshot it answers is the old one it had saved. */
  let staleSnapshot: { asOf: string; items: WmsStockItem[] } | null = null;
  const saved: Array<{ asOf: string; site: string; items: WmsStockItem[] }> = [];
  let webhookTarget = opts.webhook;
  let pending: Promise<unknown> = Promise.resolve();

  const key = (site: string, sku: string, lot: string) => `${site}|${sku}|${lot}`;
  const itemsOf = (site: string): WmsStockItem[] =>
    [...stock.entries()]
      .filter(([k]) => k.startsWith(`${site}|`))
      .map(([k, p]) => {
        const [, sku, lot] = k.split('|') as [string, string, string];
        return { site, sku, lot, bestBefore: p.bestBefore, qtyOnHand: p.onHand, qtyAllocated: p.allocated, qtyInTransit: p.inTransit };
      });

  const app = express();
  app.use(express.json({ limit: '5mb' }));
  // Faults first: every request consults the plan.
  app.use(async (req, res, next) => {
    const f = faults.take(req.path, { ...req.query });
    if (!f) return next();
    if (f.kind === 'timeout') return; // never answers
    if (f.kind === 'slow') {
      await sleep(f.delayMs ?? 1000);
      return next();
    }
    if (f.kind === 'malformed') return void res.type('application/json').send('{"items": [ {"seq": 1, "movementId": ');
    return void res.status(500).json({ error: 'internal error (injected)' });
  });
  app.get('/api/v2/stock', (req, res) => {
    const site = String(req.query.site ?? '');
    if (!opts.sites.includes(site)) return void res.status(404).json({ error: `unknown site ${site}` });
    if (staleSnapshot) return void res.json({ site, ...staleSnapshot });
    const snap = { asOf: clock().toISOString(), site, items: itemsOf(site) };
    saved.push(snap);
    res.json(snap);
  });
  const feed = <T extends { seq: number }>(list: T[]) => (req: express.Request, res: express.Response) => {
    const after = Number(req.query.after ?? 0);
    const limit = Math.min(Number(req.query.limit ?? 100), 1000);
    const items = list.filter((m) => m.seq > after).slice(0, limit);
    res.json({ items, last: items.length ? items[items.length - 1]!.seq : after });
  };
  app.get('/api/v2/movements', feed(movements));
  app.get('/api/v2/dispatch-confirmations', feed(confirmations));
  app.post('/api/v2/dispatch-tasks', (req, res) => {
    const t = req.body as { taskNo?: string; site?: string; shipTo?: string; lines?: [] };
    if (!t.taskNo || !t.site || !t.shipTo || !Array.isArray(t.lines)) return void res.status(400).json({ error: 'taskNo, site, shipTo and lines are required' });
    const known = tasks.get(t.taskNo);
    if (known) {
      known.received++;
      return void res.status(200).json({ taskNo: t.taskNo, status: 'known' });
    }
    const task = { taskNo: t.taskNo, site: t.site, shipTo: t.shipTo, lines: t.lines as Array<{ sku: string; lot: string; bestBefore: string | null; qty: number }>, received: 1 };
    tasks.set(t.taskNo, task);
    // Allocating the task's stock reserves it until it is picked.
    for (const l of task.lines) move({ type: 'ALLOC', site: task.site, sku: l.sku, lot: l.lot, bestBefore: l.bestBefore, qtyOnHand: 0, qtyAllocated: l.qty, qtyInTransit: 0, ref: task.taskNo });
    res.status(201).json({ taskNo: t.taskNo, status: 'accepted' });
  });

  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(opts.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function deliver(batches: Array<{ movements?: WmsMovement[]; confirmations?: WmsConfirmation[] }>, times = 1, shuffle = false) {
    if (!webhookTarget) throw new Error('no webhook target configured');
    const out = shuffle ? [...batches].reverse() : batches;
    const statuses: number[] = [];
    for (const b of out) {
      for (let i = 0; i < times; i++) {
        const res = await fetch(webhookTarget.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': webhookTarget.apiKey }, body: JSON.stringify(b) });
        await res.text();
        statuses.push(res.status);
      }
    }
    return statuses;
  }
  const emit = (b: { movements?: WmsMovement[]; confirmations?: WmsConfirmation[] }) => {
    if (opts.autoWebhook && webhookTarget) pending = pending.then(() => deliver([b])).catch(() => undefined);
    else undelivered.push(b);
  };

  function move(m: Omit<WmsMovement, 'seq' | 'movementId' | 'at'> & { movementId?: string; at?: string }): WmsMovement {
    const k = key(m.site, m.sku, m.lot);
    const p = stock.get(k) ?? { bestBefore: m.bestBefore, onHand: 0, allocated: 0, inTransit: 0 };
    p.onHand += m.qtyOnHand;
    p.allocated += m.qtyAllocated;
    p.inTransit += m.qtyInTransit;
    stock.set(k, p);
    const seq = movements.length + 1;
    const full: WmsMovement = { ...m, seq, movementId: m.movementId ?? `MV-${String(seq).padStart(8, '0')}`, at: m.at ?? clock().toISOString() };
    movements.push(full);
    emit({ movements: [full] });
    return full;
  }

  return {
    url,
    faults,
    /** Dispatch tasks received, by task number, with how many times each was sent. */
    tasks,
    movements,
    setClock(c: () => Date) {
      clock = c;
    },
    setWebhook(target: { url: string; apiKey: string }) {
      webhookTarget = target;
    },
    /** Goods received into a site. */
    receive(site: string, sku: string, lot: string, bestBefore: string | null, qty: number) {
      return move({ type: 'RCV', site, sku, lot, bestBefore, qtyOnHand: qty, qtyAllocated: 0, qtyInTransit: 0, ref: null });
    },
    /** Any movement, in the WMS's terms. */
    move,
    /** Picks and ships a task: movements out of the site and a dispatch confirmation. */
    confirmDispatch(taskNo: string) {
      const t = tasks.get(taskNo);
      if (!t) throw new Error(`no task ${taskNo}`);
      for (const l of t.lines) move({ type: 'PICK', site: t.site, sku: l.sku, lot: l.lot, bestBefore: l.bestBefore, qtyOnHand: -l.qty, qtyAllocated: -l.qty, qtyInTransit: 0, ref: taskNo });
      const c: WmsConfirmation = { seq: confirmations.length + 1, taskNo, site: t.site, shipTo: t.shipTo, confirmedAt: clock().toISOString(), lines: t.lines };
      confirmations.push(c);
      emit({ confirmations: [c] });
      return c;
    },
    /** Sends the webhooks not yet sent: each `times` times, in reverse order when `shuffle`. Returns the HTTP statuses. */
    async deliverWebhooks(o: { times?: number; shuffle?: boolean } = {}) {
      const b = undelivered;
      undelivered = [];
      return deliver(b, o.times ?? 1, o.shuffle ?? false);
    },
    /** Auto-delivered webhooks so far have been sent. */
    settled: () => pending,
    /**
     * A restart from an old backup: it pushes again every movement from `fromSeq` on, and its snapshots answer
     * the oldest saved one until resume() is called.
     */
    async restartAndReplay(fromSeq: number) {
      const oldest = saved[0];
      if (oldest) staleSnapshot = { asOf: oldest.asOf, items: oldest.items };
      if (webhookTarget) return deliver(movements.filter((m) => m.seq >= fromSeq).map((m) => ({ movements: [m] })));
      return [];
    },
    resume() {
      staleSnapshot = null;
    },
    stockOf: (site: string) => itemsOf(site),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export type WmsSimulator = Awaited<ReturnType<typeof startWmsSimulator>>;
