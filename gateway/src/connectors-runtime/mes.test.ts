import { type MesSimulator, startMesSimulator } from '@cradle/connectors';
import type { TestGateway } from '../testing/gateway';
import { mesBatchRecord } from './mes';
import { startGatewayWithConnectors, waitFor } from './testing';

describe('MES connector (pglite)', () => {
  let sim: MesSimulator;
  let gw: TestGateway;
  const record = (batch: string) => ({
    batch, gtin: '06923456000018', productionOrder: 'PO-1', line: 'L1', producedAt: '2026-05-01T08:00:00+08:00', expiryDate: '2028-04-30',
    quantity: 12000, sterilisationC: 137.2, holdS: 4, fillingRoomClass: 8, qcStatus: 'released' as const,
  });

  beforeAll(async () => {
    sim = await startMesSimulator();
    sim.addOrder({ orderNo: 'PO-1', gtin: '06923456000018', line: 'L1', plannedQty: 12000, status: 'running', plannedStart: '2026-05-01T06:00:00+08:00' });
    sim.addBatch(record('B260501A'));
    sim.addBatch(record('B260501B'), { sterilisationC: 'hot' });
    sim.addBatch(record('B260501C'));
    sim.faults.arm('http500', { operation: '/api/batch-records', times: 2 });
    gw = await startGatewayWithConnectors('pglite', { mes: [{ baseUrl: sim.url, everyMs: 200, retry: { attempts: 5, delayMs: 50, jitter: 0.2 } }] });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await sim?.close();
  });

  it('keeps batch records for trace, through MES errors, and dead-letters the malformed one with its field', async () => {
    const rec = await waitFor(() => mesBatchRecord(gw.database.db, '06923456000018', 'B260501C'), 'the batch record');
    expect(rec).toMatchObject({ line: 'L1', sterilisation_c: 137.2, filling_room_class: 8, expiry_date: '2028-04-30', production_order: 'PO-1' });
    expect(await mesBatchRecord(gw.database.db, '06923456000018', 'B260501B')).toBeNull();
    const dl = await gw.database.db.selectFrom('connector_dead_letters').select(['record_key', 'field_path']).where('connector', '=', 'mes-factory').execute();
    expect(dl).toEqual([{ record_key: '06923456000018/B260501B', field_path: 'items[1].sterilisationC' }]);
    const order = await gw.database.db.selectFrom('mes_production_orders').selectAll().where('order_no', '=', 'PO-1').executeTakeFirst();
    expect(order).toMatchObject({ status: 'running', planned_qty: 12000 });
  });
});
