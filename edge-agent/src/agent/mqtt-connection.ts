/** MQTT client options from config: TCP or TLS, per-device credentials, a retained last will saying "offline". */
import * as fs from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { quietMqttLog } from '@cradle/protocol';
import type { MqttConfig } from '../config/schema';

export function connectBroker(c: MqttConfig, clientId: string, will: { topic: string; payload: () => string }): MqttClient {
  const opts: IClientOptions = {
    clientId: c.clientId ?? clientId,
    clean: true,
    keepalive: c.keepaliveSeconds,
    reconnectPeriod: c.reconnectMs,
    connectTimeout: 10_000,
    ...quietMqttLog(),
    username: c.username,
    password: c.passwordFile ? fs.readFileSync(c.passwordFile, 'utf8').trim() : c.password,
    rejectUnauthorized: c.rejectUnauthorized,
    will: { topic: will.topic, payload: Buffer.from(will.payload()), qos: 1, retain: true },
  };
  if (c.caFile) opts.ca = fs.readFileSync(c.caFile);
  if (c.certFile) opts.cert = fs.readFileSync(c.certFile);
  if (c.keyFile) opts.key = fs.readFileSync(c.keyFile);
  const client = mqtt.connect(c.url, opts);
  // The will is sent in each CONNECT: give every connection's will its own id, so the gateway's id-deduplication
  // does not swallow the second "offline" after a reconnect.
  client.on('close', () => {
    if (client.options.will) client.options.will.payload = Buffer.from(will.payload());
  });
  return client;
}
