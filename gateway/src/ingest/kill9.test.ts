/**
 * Failure test: the gateway process is killed with SIGKILL during sustained ingest, then started again. The broker
 * (Mosquitto) holds what the dead session had not acknowledged and delivers it to the restarted one: no event is
 * lost, and none is applied twice.
 */
import crypto from 'node:crypto';
import { newSourceId } from '@cradle/protocol';
import mqtt from 'mqtt';
import { TEST_MQTT_URL } from '../platform/testing/databases';
import { gatewayFixture, type ProcessGateway, waitUntil } from './process-gateway';

// The machine's Mosquitto keeps at most 1000 messages (max_queued_messages, its default) for a disconnected session;
// everything published while the gateway is down must fit, however slowly a loaded machine restarts it. Killed a
// third of the way in, at most 600 messages (plus the unacknowledged batch) wait for the restarted gateway.
const EVENTS = 900;
const RATE_PER_SECOND = 150;

describe('gateway killed with SIGKILL during sustained MQTT ingest (Mosquitto + PostgreSQL)', () => {
  const fx = gatewayFixture();
  const { pool, count } = fx;
  const clientId = `kill9-${crypto.randomBytes(4).toString('hex')}`;
  let port = 0;
  afterAll(() => fx.cleanup());

  async function startGateway(): Promise<ProcessGateway> {
    // Batches linger, so at any moment dozens of received messages wait for their commit: a kill must not lose them.
    // The same port each time, so the restarted gateway answers where the first one did.
    const gw = await fx.spawn({ INGEST_CLIENT_ID: clientId, INGEST_LINGER_MS: '400', ...(port ? { PORT: String(port) } : {}) });
    port = Number(new URL(gw.base).port);
    return gw;
  }

  it('loses no event and doubles none', async () => {
    const first = await startGateway();
    await first.ready();
    const base = first.base;
    const token = await first.token();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const gtin = (await pool.query<{ gtin: string }>(`select gtin from skus where category = 'formula' order by gtin limit 1`)).rows[0]!.gtin;
    const issued = await fetch(`${base}/api/v1/codes/requests`, { method: 'POST', headers: auth, body: JSON.stringify({ idempotencyKey: `kill9-${clientId}`, gtin, batch: 'K9', quantity: EVENTS }) });
    const requestId = ((await issued.json()) as { id: string }).id;
    const serials = (await pool.query<{ serial: string }>('select serial from codes where request_id = $1 order by epc', [requestId])).rows.map((r) => r.serial);
    const site = (await pool.query<{ id: string }>(`select id from parties where code = 'F-01'`)).rows[0]!.id;
    const deviceCode = `K9-${clientId}`.slice(0, 40);
    const dev = await fetch(`${base}/api/v1/devices`, { method: 'POST', headers: auth, body: JSON.stringify({ code: deviceCode, kind: 'edge-agent', name: 'kill -9 line', site_id: site }) });
    expect(dev.status).toBe(201);

    // The line publishes at a steady rate (QoS 1, as the edge agent does); the gateway is killed a third of the way in.
    const line = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: `${clientId}-line`, reconnectPeriod: 200 });
    const ids: string[] = [];
    const publishing = (async () => {
      const started = Date.now();
      for (let i = 0; i < EVENTS; i++) {
        const due = started + (i * 1000) / RATE_PER_SECOND;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        const id = newSourceId();
        ids.push(id);
        const s = serials[i]!;
        const msg = { v: 1, id, siteId: 'F-01', deviceId: deviceCode, seq: i + 1, ts: new Date().toISOString(), scannerId: 'SC1', raw: `]Q1https://id.cradle.example/01/${gtin}/10/K9/21/${s}`, symbology: 'qr', parsed: { gtin, serial: s, batch: 'K9', elements: { '01': gtin, '10': 'K9', '21': s } } };
        await line.publishAsync(`cradle/v1/F-01/${deviceCode}/scan`, JSON.stringify(msg), { qos: 1 });
      }
    })();

    await waitUntil(async () => (await count('select count(*) as n from ingest_messages where device_code = $1', [deviceCode])) >= EVENTS / 3, 60_000);
    const victim = first.child;
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    const atKill = await count('select count(*) as n from ingest_messages where device_code = $1', [deviceCode]);
    expect(atKill).toBeLessThan(EVENTS); // the kill happened mid-stream
    const restarted = await startGateway();
    await restarted.ready();
    await publishing;
    await line.endAsync();

    await waitUntil(async () => (await count('select count(*) as n from ingest_messages where device_code = $1', [deviceCode])) === EVENTS, 60_000);
    // Every message once, every scan one event, every can commissioned once, no anomaly from a replay.
    expect(await count('select count(*) as n from ingest_messages where source_id = any($1::uuid[])', [ids])).toBe(EVENTS);
    expect(await count('select count(*) as n from epcis_events where source_id = any($1::uuid[])', [ids])).toBe(EVENTS);
    expect(await count(`select count(*) as n from codes where request_id = $1 and state = 'commissioned'`, [requestId])).toBe(EVENTS);
    expect(await count(`select count(*) as n from anomalies where kind = 'commissioned_twice'`)).toBe(0);
    const stream = (await pool.query<{ max_seq: string; received: string; missing: string }>('select max_seq, received, missing from device_streams where device_code = $1', [deviceCode])).rows[0]!;
    expect({ max_seq: Number(stream.max_seq), received: Number(stream.received), missing: Number(stream.missing) }).toEqual({ max_seq: EVENTS, received: EVENTS, missing: 0 });
  }, 180_000);
});

