/** Test brokers and a receiver that behaves like the gateway's ingest: QoS 1, persistent session, dedup by id. */
import * as net from 'node:net';
import { createBroker } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { validateUp, type UpChannel } from '../contract';

/** An embedded aedes broker that can be stopped and restarted on the same port, keeping its sessions. */
export class EmbeddedBroker {
  readonly aedes = createBroker();
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async start(): Promise<void> {
    const server = net.createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      this.aedes.handle(s);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts every client, as a broker that went down. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((r) => this.aedes.close(() => r()));
  }
}

export interface Received {
  topic: string;
  payload: Record<string, unknown>;
}

/** Subscribes to everything of a site and keeps every delivery, duplicates included. */
export class Receiver {
  readonly all: Received[] = [];
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly filter: string,
  ) {}

  async start(): Promise<void> {
    const client = mqtt.connect(this.url, {
      clientId: `rx-${Math.random().toString(36).slice(2, 10)}`,
      clean: false,
      reconnectPeriod: 100,
    });
    this.client = client;
    client.on('message', (topic, payload) => this.all.push({ topic, payload: JSON.parse(payload.toString('utf8')) as Record<string, unknown> }));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(this.filter, { qos: 1 });
  }

  /** First delivery of each id, in arrival order: what an idempotent ingest keeps. */
  unique(channel?: string): Received[] {
    const seen = new Set<unknown>();
    return this.all.filter((m) => {
      if (channel && !m.topic.endsWith(`/${channel}`)) return false;
      if (seen.has(m.payload.id)) return false;
      seen.add(m.payload.id);
      return true;
    });
  }

  /** Deliveries that do not match protocol/'s schema for their channel, with the reason. */
  invalid(): string[] {
    return this.all.flatMap((m) => {
      const channel = m.topic.split('/').pop() as UpChannel;
      const r = validateUp(channel, JSON.stringify(m.payload));
      return r.ok ? [] : [`${m.topic}: ${r.message}`];
    });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }
}

/** Polls `check` until it is true; fails with `what` after `timeoutMs` (a liveness bound, not a timing assertion). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
