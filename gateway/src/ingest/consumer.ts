import { quietMqttLog, topicFilter, UP_CHANNELS } from '@cradle/protocol';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Registry } from 'prom-client';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logging';
import { type BatchOutcome, createIngestHints, ingestBatch, type InboundMessage, prepareMessage } from './batch';
import { createIngestMetrics } from './metrics';
import { INGEST_DEFAULTS } from './settings';
import { BatchAttempt, EarlierBatchFailed } from './turns';

export interface IngestOptions {
  db: Db;
  log: Logger;
  mqttUrl: string;
  auth: { username?: string | undefined; password?: string | undefined };
  /** 5 for an external MQTT 5 broker (shared subscriptions, receive maximum); 4 (3.1.1) for the embedded aedes. */
  protocolVersion: 4 | 5;
  /** Stable client id: the broker keeps the session (and unacknowledged messages) for it across restarts. */
  clientId: string;
  /** Shared-subscription group ($share/{group}/...), so replicas split the stream; MQTT 5 only. */
  shareGroup?: string | undefined;
  /** Messages per transaction (default INGEST_DEFAULTS, settings.ts, as for the options below). */
  maxBatch?: number;
  /** How long a partial batch waits for company before it starts (only while no batch is in flight; batchToStart), ms. */
  lingerMs?: number;
  /** Unacknowledged messages the broker may have in flight to us (MQTT 5 receive maximum). */
  receiveMaximum?: number;
  /** MQTT 5 session expiry in seconds. */
  sessionExpirySeconds?: number;
  /** Batch transactions running at once, each behind the one before (turns.ts). */
  batchesInFlight?: number;
  onBatch?: (outcome: BatchOutcome) => void;
  /** Where the ingest's Prometheus metrics go (metrics.ts); none: not recorded. */
  registry?: Registry | undefined;
}

export interface IngestStats {
  batches: number;
  received: number;
  applied: number;
  duplicates: number;
  refused: number;
  events: number;
  anomalies: number;
  failures: number;
}

export interface Ingest {
  client: MqttClient;
  stats: IngestStats;
  /** Resolves when everything received so far is committed and acknowledged (tests, benchmarks). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Pending extends InboundMessage {
  messageId: number | undefined;
  qos: number;
  generation: number;
}

/** A batch taken from the queue: its messages, its current transaction attempt, and when it is committed and acknowledged. */
interface Batch {
  messages: Pending[];
  attempt: BatchAttempt;
  done: Promise<void>;
}

/**
 * How many queued messages the next batch takes now (0: none starts). Full batches start while fewer than
 * `batchesInFlight` are running. A partial batch starts only once its linger is over and no batch is in flight: with
 * batches running, the completion of one schedules again, and the queue meanwhile grows into a fuller batch. A batch's
 * turn behind the one before (codes, device streams, commit) costs about as much for 10 messages as for 1000; under
 * sustained load, starting partial batches whenever a slot was free made every fourth batch carry about 10 messages
 * (trace-ingest: about 7,900 events/s, and 8,300 to 8,500 with this rule).
 */
export function batchToStart(queued: number, inFlight: number, limits: { maxBatch: number; batchesInFlight: number }, lingered: boolean): number {
  if (queued >= limits.maxBatch && inFlight < limits.batchesInFlight) return limits.maxBatch;
  if (queued > 0 && lingered && inFlight === 0) return queued;
  return 0;
}

/**
 * A batch's PUBACKs, for the messages that came on the current connection, as one buffer written at once. Each is the
 * 4-byte packet (0x40, remaining length 2, packet id) that MQTT 3.1.1 defines, and that MQTT 5 allows for success with
 * no properties (§3.4.2.1: reason code and property length omitted). Made here rather than by MQTT.js's packet writer,
 * which made a packet object, several stream writes and their bookkeeping per message: about a twentieth of the
 * gateway's allocation and a few percent of its CPU per event (trace-ingest).
 */
export function pubacks(messages: readonly { qos: number; messageId: number | undefined; generation: number }[], generation: number): Buffer {
  const out = Buffer.allocUnsafe(4 * messages.length);
  let at = 0;
  for (const m of messages) {
    if (m.qos > 0 && m.messageId !== undefined && m.generation === generation) {
      out[at] = 0x40;
      out[at + 1] = 2;
      out.writeUInt16BE(m.messageId, at + 2);
      at += 4;
    }
  }
  return out.subarray(0, at);
}

/**
 * The MQTT ingest: a persistent session (clean: false) on a stable client id, QoS 1 subscriptions to every up
 * channel, and PUBACKs held back until the batch holding the message is committed. A crash before the commit leaves
 * the messages unacknowledged, so the broker delivers them again to the next session; replays are harmless because
 * the ingest is idempotent on the source event id and the EPCIS event hash.
 *
 * MQTT.js sends the PUBACK once `handleMessage` calls back, and reads no further packet until it has: holding that
 * callback would ingest one message per transaction. So `handleMessage` takes the message and calls back at once,
 * and the PUBACK it triggers is intercepted and sent after the commit instead (`_sendPacket` is MQTT.js's one
 * outgoing path). An acknowledgement is only sent on the connection the message came on: after a reconnect the
 * broker redelivers, and an old packet id must not acknowledge a new message.
 */
export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const maxBatch = opts.maxBatch ?? INGEST_DEFAULTS.maxBatch;
  const lingerMs = opts.lingerMs ?? INGEST_DEFAULTS.lingerMs;
  const stats: IngestStats = { batches: 0, received: 0, applied: 0, duplicates: 0, refused: 0, events: 0, anomalies: 0, failures: 0 };
  let generation = 0;
  const batchesInFlight = opts.batchesInFlight ?? INGEST_DEFAULTS.batchesInFlight;
  let queue: Pending[] = [];
  const metrics = createIngestMetrics(opts.registry, () => queue.length);
  /** In stream order; a batch leaves once committed and acknowledged. */
  const inFlight: Batch[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let idleWaiters: (() => void)[] = [];
  const hints = createIngestHints();

  const options: IClientOptions = {
    clientId: opts.clientId,
    clean: false,
    protocolVersion: opts.protocolVersion,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    ...quietMqttLog(),
    ...(opts.auth.username ? { username: opts.auth.username, password: opts.auth.password } : {}),
    ...(opts.protocolVersion === 5 ? { properties: { sessionExpiryInterval: opts.sessionExpirySeconds ?? INGEST_DEFAULTS.sessionExpirySeconds, receiveMaximum: opts.receiveMaximum ?? INGEST_DEFAULTS.receiveMaximum } } : {}),
  };
  const client = mqtt.connect(opts.mqttUrl, { ...options, manualConnect: true });
  const internal = client as unknown as { _sendPacket(packet: Packet, cb?: (err?: Error) => void, cbStorePut?: () => void, noStore?: boolean): void };
  const send = internal._sendPacket.bind(client);
  const held = new Set<number>();
  internal._sendPacket = (packet, cb, cbStorePut, noStore) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && held.has(packet.messageId)) {
      held.delete(packet.messageId);
      cb?.(); // let MQTT.js read on; the real PUBACK goes after the commit
      return;
    }
    send(packet, cb, cbStorePut, noStore);
  };
  client.handleMessage = (packet: Packet, callback: (err?: Error) => void) => {
    const p = packet as IPublishPacket;
    if (p.qos > 0 && p.messageId !== undefined) held.add(p.messageId);
    const m: Pending = { topic: p.topic, payload: Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload), messageId: p.messageId, qos: p.qos, generation };
    // Parse (and build a scan's events) now, while the previous batch is in the database, not on the batch's path.
    prepareMessage(m, hints);
    queue.push(m);
    schedule();
    callback();
  };
  client.on('connect', (connack) => {
    generation += 1;
    held.clear();
    // Messages taken on the previous connection and not yet in a batch will come again: drop these copies.
    queue = [];
    opts.log.info({ url: opts.mqttUrl, sessionPresent: connack.sessionPresent }, 'ingest connected');
    if (!connack.sessionPresent && generation > 1) void subscribe();
  });
  client.on('error', (err) => opts.log.warn({ err: err.message }, 'ingest mqtt error'));

  async function subscribe() {
    const filters = UP_CHANNELS.map((c) => {
      const f = topicFilter(c, opts.protocolVersion === 5 && opts.shareGroup ? { shareGroup: opts.shareGroup } : {});
      if (!f.ok) throw new Error(f.error.message);
      return f.value;
    });
    try {
      await client.subscribeAsync(filters, { qos: 1 });
    } catch (err) {
      opts.log.error({ err }, 'ingest subscription failed');
    }
  }

  function schedule() {
    if (closed) return;
    const limits = { maxBatch, batchesInFlight };
    while (batchToStart(queue.length, inFlight.length, limits, false) > 0) startBatch();
    if (queue.length && inFlight.length === 0 && !timer) {
      timer = setTimeout(() => {
        timer = null;
        if (!closed && batchToStart(queue.length, inFlight.length, limits, true) > 0) startBatch();
      }, lingerMs);
    }
  }

  /**
   * Takes the next batch off the queue and runs its transaction behind the batch before it (turns.ts): it may store
   * its events while that one finishes, but commits after it, and acknowledges after it, so PUBACKs go out in the
   * order the messages came (MQTT 5 §4.6). A failed attempt is retried; the batches behind it roll back and follow.
   */
  function startBatch() {
    const messages = queue.slice(0, maxBatch);
    queue = queue.slice(messages.length);
    const before = inFlight.at(-1) ?? null;
    const batch: Batch = { messages, attempt: new BatchAttempt(before?.attempt ?? null), done: Promise.resolve() };
    batch.done = (async () => {
      let delay = 200;
      for (;;) {
        try {
          const started = performance.now();
          const outcome = await ingestBatch(opts.db, messages, hints, batch.attempt.turn());
          batch.attempt.committed();
          account(outcome);
          metrics.committed(outcome, (performance.now() - started) / 1000);
          break;
        } catch (err) {
          batch.attempt.rolledBack();
          if (closed) return;
          if (!(err instanceof EarlierBatchFailed)) {
            stats.failures += 1;
            metrics.failed();
            opts.log.error({ err, messages: messages.length }, 'ingest batch failed; not acknowledged, retrying');
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, 5000);
          }
          // Retried only once the batch before is committed, so this one follows it again.
          await before?.done;
          if (closed) return;
          batch.attempt = new BatchAttempt(null);
        }
      }
      await before?.done;
      if (!client.connected) return;
      const acks = pubacks(messages, generation);
      if (acks.length) client.stream.write(acks);
    })();
    inFlight.push(batch);
    void batch.done.finally(() => {
      inFlight.splice(inFlight.indexOf(batch), 1);
      if (queue.length) schedule();
      else notifyIdle();
    });
  }

  function account(o: BatchOutcome) {
    stats.batches += 1;
    stats.received += o.received;
    stats.applied += o.applied;
    stats.duplicates += o.duplicates;
    stats.refused += o.refused;
    stats.events += o.events;
    stats.anomalies += o.anomalies;
    opts.onBatch?.(o);
  }

  function notifyIdle() {
    if (inFlight.length || queue.length) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      client.removeListener('connect', onConnect);
      reject(err);
    };
    const onConnect = () => {
      client.removeListener('error', onError);
      resolve();
    };
    client.once('connect', onConnect);
    client.once('error', onError);
    client.connect();
  });
  // A resumed session keeps its subscriptions; a new one (or a first start) needs them.
  await subscribe();

  return {
    client,
    stats,
    idle: () => (inFlight.length || queue.length ? new Promise<void>((r) => idleWaiters.push(r)) : Promise.resolve()),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await Promise.all(inFlight.map((b) => b.done));
      await client.endAsync(true);
    },
  };
}
