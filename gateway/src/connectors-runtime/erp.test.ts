import crypto from 'node:crypto';
import { type ErpSimulator, mappingFor, SAP_LIKE, startErpSimulator } from '@cradle/connectors';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../platform/testing/databases';
import type { TestGateway } from '../testing/gateway';
import { onHandAt, startGatewayWithConnectors, waitFor } from './testing';

/**
 * Failure tests of the ERP connector against the SOAP simulator, on PostgreSQL with BullMQ on Redis:
 * an ERP that is down for a while, the same movement three times, malformed XML, a gateway restart mid-sync.
 */
describe('ERP connector (SOAP, WS-Security) on PostgreSQL and BullMQ', () => {
  const schema = `t_erp_${crypto.randomBytes(5).toString('hex')}`;
  const prefix = `test-erp-${crypto.randomBytes(5).toString('hex')}`;
  const env = { DATABASE_SCHEMA: schema, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix };
  let sim: ErpSimulator;
  let gw: TestGateway;
  let hq: string;
  let gtin: string;
  let expected = 0;

  const config = (s: ErpSimulator) => ({
    erps: [
      {
        id: 'erp-r01', wsdlUrl: s.wsdlUrl, username: 'cradle-sync', password: { env: 'TEST_ERP_R01_PASSWORD' }, sites: ['WH-R01'],
        mapping: mappingFor(SAP_LIKE, { '1010': 'WH-R01' }),
        pageSize: 5, movementsEveryMs: 300, snapshotEveryMs: 3_600_000, masterDataEveryMs: 3_600_000, receivablesEveryMs: 3_600_000,
        retry: { attempts: 10, delayMs: 100, jitter: 0.2 },
        breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 300, timeoutMs: 3000 },
        rateLimit: { maxConcurrent: 1, perSecond: 50 },
      },
    ],
  });
  const start = async () => {
    const g = await startGatewayWithConnectors('postgres', config(sim), env);
    hq = await g.login('hq-admin');
    return g;
  };
  const receive = (n: number, batch = 'R-1') => {
    for (let i = 0; i < n; i++) sim.move({ code: '101', plant: '1010', gtin, batch, expiry: '2027-05-31', quantity: 10 });
    expected += n * 10;
  };
  const cursor = async (stream: string) => Number((await gw.database.db.selectFrom('connector_cursors').select('position').where('connector', '=', 'erp-r01').where('stream', '=', stream).executeTakeFirst())?.position ?? 0);

  beforeAll(async () => {
    process.env.TEST_ERP_R01_PASSWORD = 'erp-secret-1';
    sim = await startErpSimulator({ dialect: SAP_LIKE, username: 'cradle-sync', password: 'erp-secret-1', plants: ['1010'] });
    gw = await start();
    gtin = (await gw.call('GET', '/api/v1/skus?category=formula&limit=1', { token: hq })).body.items[0].gtin;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await sim?.close();
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`).finally(() => c.end());
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('signs its calls with WS-Security and lands the ERP movements in the ledger', async () => {
    receive(3);
    await waitFor(async () => (await onHandAt(gw, hq, gtin, 'WH-R01', 'R-1'))?.on_hand === expected, 'the first movements');
  });

  it('shows the queues at /admin/queues to HQ administrators only', async () => {
    expect((await gw.call('GET', '/admin/queues')).status).toBe(401);
    expect((await gw.call('GET', '/admin/queues', { token: await gw.login('dealer-demo') })).status).toBe(403);
    const page = await gw.call('GET', '/admin/queues', { token: hq });
    expect(page.status).toBe(200);
    expect(String(page.body)).toMatch(/<html/i);
    const api = await gw.call('GET', '/admin/queues/api/queues', { token: hq });
    expect(api.body.queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['erp-r01.movements', 'erp-r01.export-order']));
  });

  it('backs off while the ERP is down, loses nothing, and lands everything once it is back', async () => {
    sim.faults.arm('http500', { times: Infinity, operation: 'GetStockMovements' });
    receive(7);
    // Failures pile up (retries with backoff, then an open circuit) while nothing lands.
    await waitFor(async () => {
      const c = await gw.call('GET', '/api/v1/connectors', { token: hq });
      return c.body.items[0].error_rate > 0 && /HTTP 500|circuit/.test(c.body.items[0].last_error ?? '');
    }, 'failed attempts to be recorded');
    expect((await onHandAt(gw, hq, gtin, 'WH-R01', 'R-1'))!.on_hand).toBe(30);
    sim.faults.clear();
    sim.faults.arm('soapFault', { times: 2, operation: 'GetStockMovements' });
    await waitFor(async () => (await onHandAt(gw, hq, gtin, 'WH-R01', 'R-1'))?.on_hand === expected, 'everything to land once the ERP is back');
    const failed = await gw.call('GET', '/api/v1/connectors/failed-jobs', { token: hq });
    expect(failed.body.items.filter((j: { name: string }) => j.name === 'erp-r01.movements')).toEqual([]);
  });

  it('applies the same movement delivered three times once', async () => {
    sim.move({ code: '601', plant: '1010', gtin, batch: 'R-1', expiry: '2027-05-31', quantity: 4 });
    sim.duplicateLast(2);
    expected -= 4;
    const target = sim.movementCount();
    await waitFor(async () => (await cursor('movements')) >= target, 'the feed to be read past the copies');
    expect((await onHandAt(gw, hq, gtin, 'WH-R01', 'R-1'))!.on_hand).toBe(expected);
  });

  it('rejects a malformed record with the path of the bad field into the dead-letter list; the rest of the batch goes through', async () => {
    sim.move({ code: '101', plant: '1010', gtin, batch: 'R-2', expiry: '2027-05-31', quantity: 5 });
    sim.move({ code: '101', plant: '1010', gtin, batch: 'R-2', expiry: '2027-05-31', quantity: 5, raw: { MENGE: '5<b>' } });
    sim.move({ code: '101', plant: '1010', gtin, batch: 'R-2', expiry: '2027-05-31', quantity: 5, raw: { VFDAT: '2027-05-31' } });
    sim.move({ code: '101', plant: '1010', gtin, batch: 'R-2', expiry: '2027-05-31', quantity: 5 });
    // And a whole answer that is not well-formed XML: the attempt fails and is retried.
    sim.faults.arm('malformed', { operation: 'GetStockMovements' });
    const target = sim.movementCount();
    await waitFor(async () => (await cursor('movements')) >= target, 'the batch to be read');
    expect((await onHandAt(gw, hq, gtin, 'WH-R01', 'R-2'))!.on_hand).toBe(10);
    const dl = await gw.call('GET', '/api/v1/connectors/dead-letters?connector=erp-r01', { token: hq });
    const paths = dl.body.items.map((d: { field_path: string; error: string }) => [d.field_path.replace(/\[\d+\]/, '[n]'), d.error]);
    expect(paths).toEqual(
      expect.arrayContaining([
        ['Items.Item[n].MENGE', expect.stringMatching(/whole number/)],
        ['Items.Item[n].VFDAT', expect.stringMatching(/YYYYMMDD/)],
      ]),
    );
    const attempts = await gw.database.db.selectFrom('connector_sync_attempts').select('error').where('connector', '=', 'erp-r01').where('ok', '=', false).execute();
    expect(attempts.some((a) => /well-formed/.test(a.error ?? ''))).toBe(true);
  });

  it('resumes from the last committed position after a gateway restart mid-sync', async () => {
    expected = (await onHandAt(gw, hq, gtin, 'WH-R01', 'R-1'))!.on_hand;
    const from = await cursor('movements');
    // 30 movements, 6 pages; the ERP fails after the first three pages, and the gateway goes down.
    sim.faults.arm('http500', { times: Infinity, operation: 'GetStockMovements', after: 3 });
    receive(30);
    await waitFor(async () => (await cursor('movements')) === from + 15, 'three pages to be committed');
    await gw.close();
    const committed = from + 15;
    sim.faults.clear();
    const seen = sim.feedReads.length;
    gw = await start();
    await waitFor(async () => (await onHandAt(gw, hq, gtin, 'WH-R01', 'R-1'))?.on_hand === expected, 'the rest to land after the restart', 30_000);
    // The restarted gateway asked from the committed position, not from the beginning.
    expect(sim.feedReads.slice(seen)[0]).toBe(committed);
    // A page's position moves on only after its records are applied (sync.ts), so the stock can be whole a moment
    // before the last page's position is written.
    await waitFor(async () => (await cursor('movements')) === from + 30, 'the position to reach the end of the feed');
    const counts = await gw.database.db.selectFrom('stock_movements').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'erp-r01').where('batch', '=', 'R-1').executeTakeFirstOrThrow();
    expect(Number(counts.n)).toBe(3 + 7 + 1 + 30);
  }, 60_000);
});
