import { newSourceId } from '@cradle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import type { TestGateway } from '../testing/gateway';

/** A device registered for a test (random code at a demo site), with its MQTT client and sequence. */
export interface TestDevice {
  code: string;
  siteCode: string;
  siteId: string;
  client: MqttClient;
  seq: number;
  /** Publishes one contract message on a channel (QoS 1) and returns it. */
  publish(channel: 'scan' | 'reject' | 'reading' | 'production' | 'status', body: Record<string, unknown>, over?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Publishes exactly these bytes on a topic. */
  publishRaw(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

const rnd = () => Math.random().toString(36).slice(2, 8).toUpperCase();

/** Registers an edge agent (and scanners with bizSteps) at a demo site via the API and connects it to the gateway's broker. */
export async function registerTestDevice(gw: TestGateway, token: string, siteCode: string, scanners: Record<string, string | null> = {}): Promise<TestDevice> {
  const site = await gw.database.db.selectFrom('parties').select(['id', 'code']).where('code', '=', siteCode).executeTakeFirstOrThrow();
  const code = `T${rnd()}-EA1`;
  const created = await gw.call('POST', '/api/v1/devices', { token, body: { code, kind: 'edge-agent', name: `test agent ${code}`, site_id: site.id } });
  if (created.status !== 201) throw new Error(`device: ${created.status} ${JSON.stringify(created.body)}`);
  for (const [scanner, step] of Object.entries(scanners)) {
    const r = await gw.call('POST', '/api/v1/devices', { token, body: { code: scanner, kind: 'scanner', name: `scanner ${scanner}`, site_id: site.id, parent_id: created.body.id, config: step ? { bizStep: step } : {} } });
    if (r.status !== 201) throw new Error(`scanner: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const client = await mqtt.connectAsync(gw.mqttUrl, {
    clientId: `test-${code}`,
    ...(gw.broker ? { username: code, password: created.body.mqtt_password as string } : {}),
    reconnectPeriod: 0,
  });
  const device: TestDevice = {
    code,
    siteCode,
    siteId: site.id,
    client,
    seq: 0,
    async publish(channel, body, over = {}) {
      device.seq += 1;
      const msg = { v: 1, id: newSourceId(), siteId: siteCode, deviceId: code, seq: device.seq, ts: new Date().toISOString(), ...body, ...over };
      await client.publishAsync(`cradle/v1/${siteCode}/${code}/${channel}`, JSON.stringify(msg), { qos: 1 });
      return msg;
    },
    async publishRaw(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    close: () => client.endAsync(true),
  };
  return device;
}

/** A scan message body for a GS1 Digital Link read, as the edge agent publishes it. */
export function linkScan(scannerId: string, gtin: string, serial: string, batch: string | null, context?: { orderId?: string; sscc?: string }) {
  const raw = `https://id.cradle.example/01/${gtin}${batch ? `/10/${batch}` : ''}/21/${serial}`;
  return {
    scannerId,
    raw: `]Q1${raw}`,
    symbology: 'qr',
    parsed: { gtin, serial, ...(batch ? { batch } : {}), elements: { '01': gtin, '21': serial, ...(batch ? { '10': batch } : {}) } },
    digitalLink: raw,
    ...(context ? { context } : {}),
  };
}

/** A scan body for an SSCC (case or pallet label). */
export function ssccScan(scannerId: string, sscc: string, context?: { orderId?: string; sscc?: string }) {
  return { scannerId, raw: `]C100${sscc}`, symbology: 'gs1-128', parsed: { sscc, elements: { '00': sscc } }, ...(context ? { context } : {}) };
}

/** An order barcode read (opens the order context on the line). */
export function orderScan(scannerId: string, orderId: string) {
  return { scannerId, raw: orderId, parsed: { elements: {} }, context: { orderId } };
}
