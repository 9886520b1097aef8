/**
 * Drains the outbox to MQTT with QoS 1, in seq order, and acks a record in the outbox only on the broker's PUBACK.
 *
 * Order per device is kept on the wire: records go out strictly by seq, with a bounded in-flight window. After a
 * reconnect everything not yet acknowledged is sent again (duplicates are normal under QoS 1; the gateway drops them
 * by id). The backlog that built up while offline ("replay") is paced by a token bucket, so a long outage does not
 * turn into a burst that saturates the uplink and the gateway, or monopolises the agent's event loop while scanners
 * keep reading; reads made after the reconnect follow the backlog at full speed.
 */
import type { MqttClient } from 'mqtt';
import type { Outbox } from './outbox';

export interface PublisherOptions {
  /** Records published but not yet PUBACKed, at most. */
  inflight: number;
  /** Pace of the backlog replayed after a reconnect, records per second. */
  replayPerSecond: number;
  clock?: (() => number) | undefined;
}

export class OutboxPublisher {
  private next: number;
  private inflight = 0;
  private connected = false;
  private generation = 0;
  private replayUntil = 0;
  private tokens = 0;
  private lastRefill = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly clock: () => number;
  private readonly onDurable = (): void => this.pump();
  private readonly onConnect = (): void => this.connectedNow();
  private readonly onClose = (): void => {
    this.connected = false;
  };

  constructor(
    private readonly outbox: Outbox,
    private readonly client: MqttClient,
    private readonly opts: PublisherOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.next = outbox.doneSeq + 1;
    outbox.on('durable', this.onDurable);
    client.on('connect', this.onConnect);
    client.on('close', this.onClose);
    if (client.connected) this.connectedNow();
  }

  /** True while the broker link is up. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves once every durable record is acknowledged, or after `timeoutMs`; true when drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.clock() + timeoutMs;
    while (this.outbox.depth > 0 && this.clock() < deadline) {
      this.outbox.commit();
      this.pump();
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.outbox.depth === 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.outbox.off('durable', this.onDurable);
    this.client.off('connect', this.onConnect);
    this.client.off('close', this.onClose);
  }

  private connectedNow(): void {
    this.connected = true;
    this.generation += 1;
    // Everything not acknowledged goes again; what is already durable now is the replay backlog.
    this.next = this.outbox.doneSeq + 1;
    this.inflight = 0;
    this.replayUntil = this.outbox.durableSeq;
    this.tokens = Math.min(this.opts.replayPerSecond, this.opts.inflight);
    this.lastRefill = this.clock();
    this.pump();
  }

  private pump(): void {
    if (!this.connected || this.stopped) return;
    if (this.next <= this.outbox.doneSeq) this.next = this.outbox.doneSeq + 1;
    const gen = this.generation;
    while (this.inflight < this.opts.inflight && this.next <= this.outbox.durableSeq) {
      const seq = this.next;
      if (seq <= this.replayUntil && !this.takeToken()) {
        this.wakeLater();
        return;
      }
      const rec = this.outbox.read(seq);
      this.next += 1;
      if (!rec) continue; // dropped by the overflow policy meanwhile
      this.inflight += 1;
      this.client.publish(rec.topic, rec.payload, { qos: 1 }, (err) => {
        // A PUBACK is a PUBACK whichever connection carried it; only the in-flight count is per connection.
        if (!err) this.outbox.ack(seq);
        if (gen === this.generation) {
          this.inflight -= 1;
          this.pump();
        }
      });
    }
    // Everything durable is out and the window has room: under batched fsync, a full window's worth of records
    // already waiting for its group commit is committed now instead of at the timer, so the link does not idle.
    // (The commit emits 'durable', which pumps again; right after it nothing is pending, so this does not recurse.)
    if (this.inflight < this.opts.inflight && this.next > this.outbox.durableSeq) this.outbox.commitIfWaiting(this.opts.inflight);
  }

  private takeToken(): boolean {
    const now = this.clock();
    const rate = this.opts.replayPerSecond;
    this.tokens = Math.min(Math.max(rate / 10, 1), this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private wakeLater(): void {
    if (this.wakeTimer) return;
    const wait = Math.max(5, Math.ceil(1000 / this.opts.replayPerSecond));
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, wait);
  }
}
