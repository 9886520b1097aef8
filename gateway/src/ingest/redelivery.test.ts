/**
 * A large batch in which some messages were committed before (a redelivery after a crash) and some scans come again
 * under new source ids (an outbox replayed with new ids): the ledger and the events insert each meet rows they hold,
 * fall back from their plain INSERT to the guarded one (platform/db/insert-first.ts), and store every new thing once.
 */
import { newSourceId } from '@cradle/protocol';
import { issueCodes } from '../codes/issue';
import { PLAIN_INSERT_MIN_ROWS } from '../platform/db/insert-first';
import { DRIVERS } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { createIngestHints, type InboundMessage, ingestBatch } from './batch';
import { linkScan, registerTestDevice, type TestDevice } from './testing';

describe.each(DRIVERS)('a redelivered batch on %s', (driver) => {
  let gw: TestGateway;
  let device: TestDevice | undefined;
  afterAll(async () => {
    await device?.close().catch(() => undefined);
    await gw?.stop();
  });

  it('stores each new event once and counts what it held before', async () => {
    gw = await startTestGateway(driver);
    const db = gw.database.db;
    const token = await gw.login('hq-admin');
    const gtin = (await db.selectFrom('skus').select('gtin').where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow()).gtin;
    const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
    const n = PLAIN_INSERT_MIN_ROWS;
    const items = await issueCodes(db, { idempotencyKey: `r-${tag}`, kind: 'item', gtin, batchCode: `R${tag}`, quantity: 3 * n, requestedBy: 'test' });
    const cans = await db.selectFrom('codes').select(['serial', 'epc']).where('request_id', '=', items.request.id).orderBy('epc').execute();
    device = await registerTestDevice(gw, token, 'F-01');
    const d = device;
    let seq = 0;
    const body = (serial: string) => ({ v: 1, id: newSourceId(), siteId: d.siteCode, deviceId: d.code, seq: ++seq, ts: new Date(Date.UTC(2025, 5, 1, 8, 0, 0, seq)).toISOString(), ...linkScan('SC1', gtin, serial, `R${tag}`) });
    const message = (b: Record<string, unknown>): InboundMessage => ({ topic: `cradle/v1/${d.siteCode}/${d.code}/scan`, payload: Buffer.from(JSON.stringify(b)) });

    // First: 2n scans of 2n cans, committed.
    const first = cans.slice(0, 2 * n).map((c) => body(c.serial!));
    const a = await ingestBatch(db, first.map(message), createIngestHints());
    expect(a).toMatchObject({ received: 2 * n, applied: 2 * n, duplicates: 0, events: 2 * n });

    // Then one batch: the first n messages again (same ids), the next n scans again under new ids, and n new cans.
    const again = first.slice(0, n);
    const reissued = first.slice(n, 2 * n).map((b) => ({ ...b, id: newSourceId(), seq: ++seq }));
    const fresh = cans.slice(2 * n).map((c) => body(c.serial!));
    const b = await ingestBatch(db, [...again, ...reissued, ...fresh].map(message), createIngestHints());
    expect(b).toMatchObject({ received: 3 * n, duplicates: n, applied: 2 * n, events: n });

    const stored = await db
      .selectFrom('epcis_event_keys as k')
      .innerJoin('epcis_events as e', 'e.pk', 'k.event_pk')
      .select(['k.value'])
      .where('k.kind', '=', 'epc')
      .where('k.value', 'in', cans.map((c) => c.epc))
      .where('e.biz_step', '=', 'commissioning')
      .execute();
    expect(stored).toHaveLength(3 * n);
    expect(new Set(stored.map((s) => s.value)).size).toBe(3 * n);
    const states = await db.selectFrom('codes').select('state').where('request_id', '=', items.request.id).execute();
    expect(states.filter((s) => s.state === 'commissioned')).toHaveLength(3 * n);
    const ledger = await db.selectFrom('ingest_messages').select('source_id').where('device_code', '=', d.code).execute();
    expect(ledger).toHaveLength(4 * n);
    const anomalies = await db.selectFrom('anomalies').select('kind').where('epc', 'in', cans.map((c) => c.epc)).execute();
    expect(anomalies).toEqual([]);
  }, 120_000);
});
