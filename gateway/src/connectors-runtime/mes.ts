import { type BatchRecord, createMesClient } from '@cradle/connectors';
import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { HttpProblem } from '../platform/http/problem';
import type { JobDefinition } from '../platform/jobs';
import { endpointGuardFor, type MesConfig, secretValue } from './config';
import type { ConnectorState } from './state';
import { defineSyncJob, pullFeed } from './sync';

/**
 * The factory MES: production orders and batch records, pulled as feeds into mes_production_orders and
 * mes_batch_records. Trace owns batches; it reads these through `mesBatchRecord()` and merges them with the
 * edge agent's OPC-UA readings (docs/connectors.md).
 */
export function createMesConnector(deps: { cfg: MesConfig; db: Db; state: ConnectorState; env: NodeJS.ProcessEnv }) {
  const { cfg, db, state } = deps;
  const id = cfg.id;
  const guard = endpointGuardFor(cfg);
  const client = createMesClient({ baseUrl: cfg.baseUrl, token: secretValue(cfg.token, deps.env), guard, timeoutMs: cfg.breaker.timeoutMs });

  const storeBatches = async (good: BatchRecord[]) => {
    for (const b of good) {
      const row = {
        batch: b.batch, gtin: b.gtin, mes: id, production_order: b.productionOrder, line: b.line, produced_at: new Date(b.producedAt), expiry_date: b.expiryDate,
        quantity: b.quantity, sterilisation_c: b.sterilisationC, hold_s: b.holdS, filling_room_class: b.fillingRoomClass, qc_status: b.qcStatus, record: JSON.stringify(b), received_at: new Date(),
      };
      await db.insertInto('mes_batch_records').values(row).onConflict((oc) => oc.columns(['gtin', 'batch']).doUpdateSet(row)).execute();
    }
    return { rejected: [] };
  };

  const jobs: JobDefinition<any>[] = [
    defineSyncJob({
      connector: id, stream: 'production-orders', state, everyMs: cfg.everyMs, retry: cfg.retry,
      run: async () => {
        const r = await pullFeed({
          connector: id, stream: 'production-orders', state,
          fetchPage: (after) => client.productionOrders(after, cfg.pageSize),
          apply: async (good) => {
            for (const o of good) {
              const row = { mes: id, order_no: o.orderNo, gtin: o.gtin, line: o.line, planned_qty: o.plannedQty, status: o.status, planned_start: o.plannedStart ? new Date(o.plannedStart) : null, updated_at: new Date() };
              await db.insertInto('mes_production_orders').values(row).onConflict((oc) => oc.columns(['mes', 'order_no']).doUpdateSet(row)).execute();
            }
            return { rejected: [] };
          },
        });
        return { items: r.items };
      },
    }),
    defineSyncJob({
      connector: id, stream: 'batch-records', state, everyMs: cfg.everyMs, retry: cfg.retry,
      run: async () => {
        const r = await pullFeed({ connector: id, stream: 'batch-records', state, fetchPage: (after) => client.batchRecords(after, cfg.pageSize), apply: storeBatches });
        return { items: r.items };
      },
    }),
  ];

  return {
    id, guard, jobs, routes: [],
    async replay(): Promise<void> {
      throw new HttpProblem('conflict', `records of ${id} are not replayed one by one: fix them in the MES and they come with the next sync`);
    },
    close: () => guard.close(),
  };
}

export interface MesBatchRecord {
  batch: string;
  gtin: string;
  mes: string;
  production_order: string | null;
  line: string;
  produced_at: Date;
  expiry_date: string;
  quantity: number;
  sterilisation_c: number | null;
  hold_s: number | null;
  filling_room_class: number | null;
  qc_status: string | null;
  received_at: Date;
}

/**
 * The MES's record of a batch, or null if the MES has not reported it (yet). For trace: merge it field by field
 * with the edge agent's OPC-UA production record, each source filling what the other lacks.
 */
export async function mesBatchRecord(db: Db, gtin: string, batch: string): Promise<MesBatchRecord | null> {
  const r = await db
    .selectFrom('mes_batch_records')
    .select(['batch', 'gtin', 'mes', 'production_order', 'line', 'produced_at', sql<string>`expiry_date::text`.as('expiry_date'), 'quantity', 'sterilisation_c', 'hold_s', 'filling_room_class', 'qc_status', 'received_at'])
    .where('gtin', '=', gtin)
    .where('batch', '=', batch)
    .executeTakeFirst();
  return r ? { ...r, gtin: r.gtin.trim() } : null;
}
