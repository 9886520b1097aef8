/**
 * Two gateway replicas on one database share the stream through an MQTT 5 shared subscription ($share/) on Mosquitto:
 * each message is ingested by one of them, once. Mosquitto hands a group's messages out in turn, so each replica sees
 * every other seq of a device: holes open in one replica's batches and the other's fill them, and none stays open.
 */
import crypto from 'node:crypto';
import { newSourceId } from '@cradle/protocol';
import mqtt from 'mqtt';
import { TEST_MQTT_URL } from '../platform/testing/databases';
import { gatewayFixture, type ProcessGateway, waitUntil } from './process-gateway';

const EVENTS = 600;

/** A counter's value in a Prometheus text exposition (0 when absent). */
function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('gateway replicas sharing the MQTT stream ($share/ on Mosquitto + PostgreSQL)', () => {
  const fx = gatewayFixture();
  const { pool, count } = fx;
  const tag = crypto.randomBytes(4).toString('hex');
  afterAll(() => fx.cleanup());

  it('ingests each message once, split between the replicas, and leaves no hole in the sequence open', async () => {
    const replicas: ProcessGateway[] = [];
    // One after the other: the first runs the migrations and loads the demo data.
    for (const name of ['a', 'b']) {
      const gw = await fx.spawn({ INGEST_CLIENT_ID: `replica-${name}-${tag}`, INGEST_SHARE_GROUP: `replicas-${tag}` });
      await gw.ready();
      replicas.push(gw);
    }
    const [a] = replicas;
    const token = await a!.token();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const gtin = (await pool.query<{ gtin: string }>(`select gtin from skus where category = 'formula' order by gtin limit 1`)).rows[0]!.gtin;
    const issued = await fetch(`${a!.base}/api/v1/codes/requests`, { method: 'POST', headers: auth, body: JSON.stringify({ idempotencyKey: `replicas-${tag}`, gtin, batch: 'R2', quantity: EVENTS }) });
    expect(issued.status).toBe(201);
    const requestId = ((await issued.json()) as { id: string }).id;
    const serials = (await pool.query<{ serial: string }>('select serial from codes where request_id = $1 order by epc', [requestId])).rows.map((r) => r.serial);
    const site = (await pool.query<{ id: string }>(`select id from parties where code = 'F-01'`)).rows[0]!.id;
    const deviceCode = `R2-${tag}`;
    const dev = await fetch(`${a!.base}/api/v1/devices`, { method: 'POST', headers: auth, body: JSON.stringify({ code: deviceCode, kind: 'edge-agent', name: 'replicated line', site_id: site }) });
    expect(dev.status).toBe(201);

    // The line publishes in bursts of 50 (QoS 1), so batches at both replicas carry many messages.
    const line = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: `replicas-line-${tag}`, protocolVersion: 5 });
    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i += 50) {
      const burst: Promise<unknown>[] = [];
      for (let k = i; k < Math.min(EVENTS, i + 50); k++) {
        const id = newSourceId();
        ids.push(id);
        const s = serials[k]!;
        const msg = { v: 1, id, siteId: 'F-01', deviceId: deviceCode, seq: k + 1, ts: new Date().toISOString(), scannerId: 'SC1', raw: `]Q1https://id.cradle.example/01/${gtin}/10/R2/21/${s}`, symbology: 'qr', parsed: { gtin, serial: s, batch: 'R2', elements: { '01': gtin, '10': 'R2', '21': s } } };
        burst.push(line.publishAsync(`cradle/v1/F-01/${deviceCode}/scan`, JSON.stringify(msg), { qos: 1 }));
      }
      await Promise.all(burst);
    }
    await line.endAsync();

    await waitUntil(async () => (await count('select count(*) as n from ingest_messages where device_code = $1', [deviceCode])) === EVENTS, 60_000);
    // Each message once, each scan one event, each can commissioned once.
    expect(await count('select count(*) as n from ingest_messages where source_id = any($1::uuid[])', [ids])).toBe(EVENTS);
    expect(await count('select count(*) as n from epcis_events where source_id = any($1::uuid[])', [ids])).toBe(EVENTS);
    expect(await count(`select count(*) as n from codes where request_id = $1 and state = 'commissioned'`, [requestId])).toBe(EVENTS);
    expect(await count('select count(*) as n from anomalies')).toBe(0);

    // Both replicas took part, and together they applied each message once (their /metrics).
    const applied: number[] = [];
    for (const gw of replicas) {
      const text = await (await fetch(`${gw.base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      applied.push(counter(text, 'cradle_ingest_messages_total', 'outcome="applied"'));
    }
    expect(applied.every((n) => n > 0)).toBe(true);
    expect(applied[0]! + applied[1]!).toBe(EVENTS);

    // The device's sequence: every seq received, nothing missing, every hole one replica saw filled by the other.
    const stream = (await pool.query<{ max_seq: string; received: string; missing: string }>('select max_seq, received, missing from device_streams where device_code = $1', [deviceCode])).rows[0]!;
    expect({ max_seq: Number(stream.max_seq), received: Number(stream.received), missing: Number(stream.missing) }).toEqual({ max_seq: EVENTS, received: EVENTS, missing: 0 });
    expect(await count('select count(*) as n from device_seq_gaps where device_code = $1 and filled < to_seq - from_seq + 1', [deviceCode])).toBe(0);
    const res = await fetch(`${a!.base}/api/v1/trace/devices/${deviceCode}/stream`, { headers: auth });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { gaps: unknown[] }).gaps).toEqual([]);
  }, 240_000);
});
