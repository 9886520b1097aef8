/**
 * OPC-UA collector: one endpoint (a steriliser or filler PLC), its monitored items mapped to named readings.
 *
 * Reconnection is the collector's own: on any connection loss it drops the client whole and builds a new one with
 * capped exponential backoff, then recreates session, subscription and monitored items. node-opcua's built-in
 * session repair cannot help when the server process restarted (its sessions and subscriptions are gone), and one
 * path for every failure is easier to trust. The gap is made visible: on loss, each item gets one reading with
 * quality "bad" and value null, and readings resume with their server source times after the reconnect.
 */
import { EventEmitter } from 'node:events';
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type DataValue,
  type UserIdentityInfo,
} from 'node-opcua';
import type { OpcuaConfig } from '../config/schema';
import type { ProductionBody, Quality, ReadingBody } from '../contract';

export type CollectorState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface CollectorEvents {
  reading: [body: ReadingBody];
  production: [body: ProductionBody];
  state: [state: CollectorState, detail: string | undefined];
}

export interface BatchSource {
  batchOf(line: string): { batch: string; gtin: string | undefined } | undefined;
  setBatch(line: string, batch: string, gtin: string | undefined): ProductionBody[];
}

export class OpcuaCollector extends EventEmitter<CollectorEvents> {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private stopped = false;
  private current: CollectorState = 'connecting';
  private attempt = 0;
  private readonly latest = new Map<string, unknown>();

  constructor(
    readonly config: OpcuaConfig,
    private readonly batches: BatchSource,
  ) {
    super();
    this.delay = config.reconnect.initialMs;
  }

  get state(): CollectorState {
    return this.current;
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.teardown();
    this.setState('stopped', undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const attempt = ++this.attempt;
    const c = this.config;
    const client = OPCUAClient.create({
      applicationName: `cradle-edge-${c.id}`,
      endpointMustExist: false,
      keepSessionAlive: true,
      requestedSessionTimeout: 30_000,
      // One try per client: the collector's own loop does the retrying (see above).
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      securityMode: MessageSecurityMode[c.securityMode],
      securityPolicy: SecurityPolicy[c.securityPolicy],
      ...(c.pkiDir ? { clientCertificateManager: new OPCUACertificateManager({ rootFolder: c.pkiDir, automaticallyAcceptUnknownCertificate: true }) } : {}),
    });
    this.client = client;
    const lost = (why: string) => void this.lost(attempt, why);
    client.on('connection_lost', () => lost('connection lost'));
    client.on('close', () => lost('connection closed'));
    try {
      await client.connect(c.endpoint);
      const identity: UserIdentityInfo =
        c.username !== undefined
          ? { type: UserTokenType.UserName, userName: c.username, password: c.password ?? '' }
          : { type: UserTokenType.Anonymous };
      const session = await client.createSession(identity);
      this.session = session;
      session.on('session_closed', () => lost('session closed'));
      const sub = await session.createSubscription2({
        requestedPublishingInterval: c.publishingIntervalMs,
        requestedLifetimeCount: 60,
        requestedMaxKeepAliveCount: 10,
        maxNotificationsPerPublish: 1000,
        publishingEnabled: true,
        priority: 1,
      });
      this.subscription = sub;
      sub.on('terminated', () => lost('subscription terminated'));
      if (c.batchNodeId) this.monitorBatch(sub, c.batchNodeId);
      for (const item of c.items) this.monitor(sub, item);
      if (attempt !== this.attempt || this.stopped) return;
      this.delay = c.reconnect.initialMs;
      this.setState('connected', c.endpoint);
    } catch (e) {
      lost((e as Error).message);
    }
  }

  private monitor(sub: ClientSubscription, item: OpcuaConfig['items'][number]): void {
    const filter = item.deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: item.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
          deadbandValue: item.deadband.value,
        })
      : undefined;
    const mi = ClientMonitoredItem.create(
      sub,
      { nodeId: item.nodeId, attributeId: AttributeIds.Value },
      { samplingInterval: item.samplingIntervalMs, queueSize: item.queueSize, discardOldest: true, ...(filter ? { filter } : {}) },
      TimestampsToReturn.Both,
    );
    mi.on('changed', (dv: DataValue) => this.emit('reading', this.toReading(item, dv)));
    mi.on('err', (msg: string) => this.emitBad(item, `monitored item: ${msg}`));
  }

  private monitorBatch(sub: ClientSubscription, nodeId: string): void {
    const mi = ClientMonitoredItem.create(
      sub,
      { nodeId, attributeId: AttributeIds.Value },
      { samplingInterval: 100, queueSize: 10, discardOldest: false },
      TimestampsToReturn.Both,
    );
    mi.on('changed', (dv: DataValue) => {
      const v = dv.value?.value;
      if (!dv.statusCode.isGood() || typeof v !== 'string' || v.length === 0) return;
      if (this.batches.batchOf(this.config.line)?.batch === v) return;
      for (const p of this.batches.setBatch(this.config.line, v, this.config.gtin)) this.emit('production', p);
    });
  }

  private toReading(item: OpcuaConfig['items'][number], dv: DataValue): ReadingBody {
    const raw: unknown = dv.value?.value;
    // The contract's readings are numeric (a boolean interlock reads as 0/1); anything else reads as bad.
    const num = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? Number(raw) : Number.NaN;
    const value = Number.isFinite(num) ? num : (this.latest.get(item.name) as number | undefined) ?? 0;
    const quality: Quality = !Number.isFinite(num) || dv.statusCode.isBad() ? 'bad' : dv.statusCode.isGood() ? 'good' : 'uncertain';
    const body: ReadingBody = {
      source: this.config.id,
      name: item.name,
      value,
      unit: item.unit,
      quality,
      sourceTime: dv.sourceTimestamp ? dv.sourceTimestamp.toISOString() : undefined,
      batch: this.batches.batchOf(this.config.line)?.batch,
    };
    if (Number.isFinite(num)) this.latest.set(item.name, num);
    const gate = item.limitsWhile;
    const gateOpen = !gate || Number(this.latest.get(gate.name)) > gate.above;
    if (item.limits) {
      body.limits = item.limits;
      if (typeof value === 'number' && gateOpen) {
        body.outOfLimits =
          (item.limits.min !== undefined && value < item.limits.min) || (item.limits.max !== undefined && value > item.limits.max);
      }
    }
    return body;
  }

  /**
   * The gap marker. The contract's reading value is a finite number, so a "bad" reading carries the last value
   * seen (as OPC UA servers do with Bad_NoCommunication), without a source time; none is sent for an item never read.
   */
  private badReading(item: OpcuaConfig['items'][number], _why: string): ReadingBody | undefined {
    const last = this.latest.get(item.name);
    if (typeof last !== 'number') return undefined;
    return {
      source: this.config.id,
      name: item.name,
      value: last,
      unit: item.unit,
      quality: 'bad',
      batch: this.batches.batchOf(this.config.line)?.batch,
    };
  }

  private emitBad(item: OpcuaConfig['items'][number], why: string): void {
    const r = this.badReading(item, why);
    if (r) this.emit('reading', r);
  }

  private async lost(attempt: number, why: string): Promise<void> {
    if (attempt !== this.attempt || this.stopped) return;
    this.attempt += 1; // later events of this client are stale
    const wasConnected = this.current === 'connected';
    if (wasConnected) for (const item of this.config.items) this.emitBad(item, why);
    this.setState('disconnected', why);
    await this.teardown();
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, this.config.reconnect.maxMs);
  }

  private async teardown(): Promise<void> {
    const { client, session, subscription } = this;
    this.client = undefined;
    this.session = undefined;
    this.subscription = undefined;
    subscription?.removeAllListeners();
    session?.removeAllListeners();
    client?.removeAllListeners();
    // Closing politely can hang on a dead link: each step gets a short deadline.
    if (subscription) await within(subscription.terminate(), 1000);
    if (session) await within(session.close(true), 1000);
    if (client) await within(client.disconnect(), 2000);
  }

  private setState(s: CollectorState, detail: string | undefined): void {
    if (s === this.current) return;
    this.current = s;
    this.emit('state', s, detail);
  }
}

async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}
