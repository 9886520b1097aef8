/**
 * The edge agent: scanners and OPC-UA collectors feed the durable outbox; the publisher drains it to MQTT.
 * Composition only; each part lives in its own module. Every record is on disk before anything else sees it.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/schema';
import { commandTopic, topicFor, upPayload, type StatusBody, type UpBody } from '../contract';
import { Outbox } from '../outbox/outbox';
import { OutboxPublisher } from '../outbox/publisher';
import type { CollectorState, OpcuaCollector } from '../opcua/collector';
import { LineContexts } from '../scanner/line-context';
import { ReadFilter } from '../scanner/read-filter';
import { ReadHandler } from '../scanner/read-handler';
import type { PortState, SerialScanner } from '../scanner/serial-scanner';
import { parseCommand, SeenIds, type Command } from './commands';
import { LineBatches } from './line-batches';
import { createMetrics, type AgentMetrics } from './metrics';
import { connectBroker } from './mqtt-connection';

export interface AgentOptions {
  log: Logger;
  clock?: (() => number) | undefined;
}

export class EdgeAgent {
  readonly outbox: Outbox;
  readonly metrics: AgentMetrics;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly contexts = new LineContexts();
  private readonly batches = new LineBatches();
  private readonly seenCommands = new SeenIds();
  private readonly scanners: SerialScanner[] = [];
  private readonly collectors: OpcuaCollector[] = [];
  private client: MqttClient | undefined;
  private publisher: OutboxPublisher | undefined;
  private server: http.Server | undefined;
  private lastStatus = '';
  private stopping = false;

  constructor(
    readonly config: AgentConfig,
    opts: AgentOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log;
    const o = config.outbox;
    this.outbox = Outbox.open({
      dir: o.dir,
      fsync: o.fsync.mode === 'safe' ? { mode: 'always' } : o.fsync,
      maxBytes: o.maxBytes,
      segmentBytes: o.segmentBytes,
      overflow: o.overflow,
      clock: this.clock,
    });
    this.metrics = createMetrics(this.outbox, this.clock);
    this.outbox.on('dropped', (reason, n) => this.log.warn({ reason, count: n }, 'outbox full: records dropped by the overflow policy'));
  }

  /** Starts HTTP, the broker link, scanners and collectors. */
  async start(): Promise<void> {
    const c = this.config;
    this.log.info({ siteId: c.siteId, deviceId: c.deviceId, outboxDepth: this.outbox.depth, lastSeq: this.outbox.lastSequence }, 'edge agent starting');
    this.server = await this.listen();
    const client = connectBroker(c.mqtt, `cradle-edge-${c.siteId}-${c.deviceId}`, {
      topic: topicFor(c.siteId, c.deviceId, 'status'),
      payload: () => this.statusPayload({ state: 'offline', detail: { reason: 'connection lost' } }),
    });
    this.client = client;
    this.publisher = new OutboxPublisher(this.outbox, client, { inflight: c.outbox.inflight, replayPerSecond: c.outbox.replayPerSecond, clock: this.clock });
    client.on('connect', () => {
      this.metrics.brokerUp.set(1);
      this.log.info({ url: c.mqtt.url }, 'broker connected');
      this.lastStatus = '';
      this.publishStatus();
      client.subscribe(commandTopic(c.siteId, c.deviceId), { qos: 1 });
    });
    client.on('close', () => this.metrics.brokerUp.set(0));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'broker error'));
    client.on('message', (_topic, payload) => this.onCommand(payload));
    for (const sc of c.scanners) this.startScanner(sc);
    if (c.opcua.length > 0) {
      // node-opcua is heavy (tens of MB): a warehouse agent without OPC-UA endpoints never loads it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { OpcuaCollector } = require('../opcua/collector') as typeof import('../opcua/collector');
      for (const oc of c.opcua) {
        const col = new OpcuaCollector(oc, this.batches);
        this.collectors.push(col);
        col.on('reading', (r) => {
          this.metrics.readings.inc({ source: oc.id, name: r.name });
          if (r.outOfLimits) this.metrics.outOfLimits.inc({ source: oc.id, name: r.name });
          this.record({ channel: 'reading', body: r });
        });
        col.on('production', (p) => this.record({ channel: 'production', body: p }));
        col.on('state', (s, detail) => this.onSourceState('opcua', oc.id, s, detail));
        this.metrics.opcuaUp.set({ source: oc.id }, 0);
        col.start();
      }
    }
  }

  /** The local HTTP port (health and metrics). */
  get httpPort(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Graceful stop: stop reading, publish what is on disk (up to `drainMs`), say offline, close files. */
  async stop(drainMs = 5000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all([...this.scanners.map((s) => s.stop()), ...this.collectors.map((c) => c.stop())]);
    this.outbox.commit();
    const drained = this.publisher && this.client?.connected ? await this.publisher.drain(drainMs) : false;
    this.log.info({ drained, left: this.outbox.depth }, 'outbox flushed');
    const client = this.client;
    if (client?.connected) {
      await client
        .publishAsync(topicFor(this.config.siteId, this.config.deviceId, 'status'), this.statusPayload({ state: 'offline', detail: { reason: 'stopped' } }), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    this.publisher?.stop();
    if (client) await client.endAsync(true).catch(() => undefined);
    this.outbox.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private startScanner(sc: AgentConfig['scanners'][number]): void {
    // serialport (native binding, a dozen parsers) is loaded only by an agent that has scanners.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SerialScanner } = require('../scanner/serial-scanner') as typeof import('../scanner/serial-scanner');
    const scanner = new SerialScanner(sc);
    const filter = new ReadFilter({ prefix: unescape(sc.prefix), suffix: unescape(sc.suffix), noRead: sc.noRead, repeatWindowMs: sc.repeatWindowMs });
    const handler = new ReadHandler(this.config.context, this.contexts);
    this.scanners.push(scanner);
    this.metrics.scannerUp.set({ scanner: sc.id }, 0);
    scanner.on('frame', (frame) => {
      this.metrics.reads.inc({ scanner: sc.id });
      const out = handler.handle(sc, filter.classify(frame, this.clock()));
      if (out.channel === 'none') {
        if (out.why === 'repeat') this.metrics.suppressed.inc({ scanner: sc.id });
        return;
      }
      if (out.channel === 'scan') this.metrics.scans.inc({ scanner: sc.id });
      else this.metrics.rejects.inc({ scanner: sc.id, code: out.body.code });
      this.record(out);
    });
    scanner.on('state', (s, detail) => this.onSourceState('scanner', sc.id, s, detail));
    scanner.start();
  }

  /** Writes one event to the outbox, stamped at the source with id, seq and time. */
  private record(up: UpBody): void {
    const { siteId, deviceId } = this.config;
    const r = this.outbox.append((seq, now) => ({
      topic: topicFor(siteId, deviceId, up.channel),
      payload: upPayload(siteId, deviceId, seq, now, up.body),
    }));
    if (!r.ok) this.log.error({ reason: r.reason, channel: up.channel }, 'record not stored');
  }

  private onSourceState(kind: 'scanner' | 'opcua', id: string, s: PortState | CollectorState, detail: string | undefined): void {
    const up = s === 'open' || s === 'connected' ? 1 : 0;
    if (kind === 'scanner') this.metrics.scannerUp.set({ scanner: id }, up);
    else this.metrics.opcuaUp.set({ source: id }, up);
    this.log.info({ [kind]: id, state: s, detail }, `${kind} ${s}`);
    if (!this.stopping) this.publishStatus();
  }

  /** online when every source is up; degraded (naming the ones that are not) otherwise. */
  private currentStatus(): StatusBody {
    const scanners = Object.fromEntries(this.scanners.map((s) => [s.config.id, s.state]));
    const opcua = Object.fromEntries(this.collectors.map((c) => [c.config.id, c.state]));
    const down = [
      ...this.scanners.filter((s) => s.state !== 'open').map((s) => s.config.id),
      ...this.collectors.filter((c) => c.state !== 'connected').map((c) => c.config.id),
    ];
    return { state: down.length === 0 ? 'online' : 'degraded', detail: { scanners, opcua, down } };
  }

  private publishStatus(): void {
    const client = this.client;
    if (!client?.connected) return;
    const status = this.currentStatus();
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    client.publish(topicFor(this.config.siteId, this.config.deviceId, 'status'), this.statusPayload(status), { qos: 1, retain: true });
  }

  /**
   * Status is state, not an event: it bypasses the outbox (retained, latest wins) and takes no seq of its own; its
   * seq is the device's high-water mark, so scan/reject/reading/production seqs stay gap-free for the gateway.
   */
  private statusPayload(body: StatusBody): string {
    const now = this.clock();
    const { siteId, deviceId } = this.config;
    return upPayload(siteId, deviceId, Math.max(1, this.outbox.lastSequence), now, body);
  }

  private onCommand(payload: Buffer): void {
    const r = parseCommand(payload);
    if (!r.ok) return void this.log.warn({ error: r.error }, 'command refused');
    if (!this.seenCommands.firstTime(r.command.id)) return;
    this.apply(r.command);
  }

  private apply(cmd: Command): void {
    this.log.info({ command: cmd.command, args: cmd.args, id: cmd.id }, 'command');
    switch (cmd.command) {
      case 'set_order':
        return this.contexts.openOrder(cmd.args.line, cmd.args.orderId);
      case 'close_order':
        return this.contexts.closeOrder(cmd.args.line);
      case 'set_batch':
        for (const p of this.batches.setBatch(cmd.args.line, cmd.args.batch, cmd.args.gtin)) this.record({ channel: 'production', body: p });
        return;
    }
  }

  private listen(): Promise<http.Server> {
    const server = http.createServer((req, res) => void this.serve(req, res));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.http.port, this.config.http.host, () => resolve(server));
    });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url === '/metrics') {
      res.setHeader('content-type', this.metrics.registry.contentType);
      res.end(await this.metrics.registry.metrics());
      return;
    }
    if (url === '/healthz' || url === '/readyz') {
      const oldest = this.outbox.oldestUnsentAt();
      const body = {
        status: this.currentStatus(),
        broker: this.client?.connected ? 'connected' : 'disconnected',
        outbox: {
          depth: this.outbox.depth,
          bytes: this.outbox.bytesOnDisk,
          lastSeq: this.outbox.lastSequence,
          oldestUnsentAgeSeconds: oldest === undefined ? 0 : (this.clock() - oldest) / 1000,
          dropped: this.outbox.droppedTotal,
        },
      };
      // Ready means reads are being made durable; a broker outage is what the outbox is for, so it stays ready.
      res.statusCode = url === '/readyz' && this.stopping ? 503 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
      return;
    }
    res.statusCode = 404;
    res.end();
  }
}

/** Config strings may spell control characters as \\xNN or \\uNNNN (STX/ETX prefixes are common). */
function unescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})/g, (_m, a?: string, b?: string) => String.fromCharCode(parseInt(a ?? b ?? '0', 16)));
}
