import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MqttClient } from 'mqtt';
import { Outbox } from './outbox';
import { OutboxPublisher } from './publisher';

/** A stand-in MQTT client: records publishes; PUBACKs come back when the test says so. */
class FakeClient extends EventEmitter {
  connected = true;
  readonly published: { seq: number; durableAtPublish: number; ack: () => void }[] = [];
  constructor(private readonly box: () => Outbox) {
    super();
  }
  publish(_topic: string, payload: string, _opts: unknown, cb: (err?: Error) => void): void {
    this.published.push({ seq: (JSON.parse(payload) as { seq: number }).seq, durableAtPublish: this.box().durableSeq, ack: () => cb() });
  }
}

describe('outbox publisher with batched fsync', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-publisher-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('commits a waiting in-flight window early when it has nothing durable left to send, and never publishes before the fsync', async () => {
    // A timer that never fires within the test: only maxRecords or the publisher's early commit can make records durable.
    const box = Outbox.open({ dir, fsync: { mode: 'batched', intervalMs: 1000, maxRecords: 1000 }, maxBytes: 10_000_000, overflow: 'reject-new' });
    const client = new FakeClient(() => box);
    const publisher = new OutboxPublisher(box, client as unknown as MqttClient, { inflight: 4, replayPerSecond: 1e9 });
    const put = () => box.append((seq) => ({ topic: 't', payload: JSON.stringify({ seq }) }));
    for (let i = 0; i < 3; i++) put();
    expect(client.published).toHaveLength(0); // fewer than a window waiting: the timer's job
    for (let i = 0; i < 5; i++) put(); // 8 waiting: the publisher only looks again on a PUBACK or a durable event
    box.commitIfWaiting(1000); // below this threshold nothing happens
    expect(box.durableSeq).toBe(0);
    box.commit(); // the group commit (timer stand-in) makes 1..8 durable; the publisher fills its window of 4
    expect(client.published.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 6; i++) put(); // 9..14 wait for their group commit
    for (const p of client.published.splice(0, 4)) p.ack(); // acks pump: 5..8 go out (durable), then it runs dry
    expect(client.published.map((p) => p.seq)).toEqual([5, 6, 7, 8]);
    const committed = new Promise((resolve) => box.once('durable', resolve));
    for (const p of client.published.splice(0, 1)) p.ack(); // window has room, nothing durable left, 6 >= 4 waiting
    expect(client.published.map((p) => p.seq)).toEqual([6, 7, 8]); // the early commit's fsync is still running
    expect(await committed).toBe(14);
    expect(client.published.map((p) => p.seq)).toEqual([6, 7, 8, 9]);
    for (const p of client.published) expect(p.durableAtPublish).toBeGreaterThanOrEqual(p.seq);
    publisher.stop();
    box.close();
  });
});
