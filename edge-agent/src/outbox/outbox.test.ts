import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Outbox, type OutboxOptions } from './outbox';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-outbox-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function open(dir: string, o: Partial<OutboxOptions> = {}): Outbox {
  return Outbox.open({ dir, fsync: { mode: 'always' }, maxBytes: 10_000_000, overflow: 'reject-new', ...o });
}
const put = (box: Outbox, text: string) => box.append((seq) => ({ topic: 't', payload: JSON.stringify({ seq, text }) }));

describe('durable outbox', () => {
  it('keeps every record and its seq across a reopen, and resumes seq after the last one', () => {
    const dir = tmp();
    const a = open(dir);
    for (let i = 0; i < 50; i++) expect(put(a, `r${i}`)).toEqual({ ok: true, seq: i + 1 });
    a.ack(1);
    a.ack(2);
    a.close();
    const b = open(dir);
    expect(b.depth).toBe(48);
    expect(JSON.parse(b.read(3)!.payload)).toEqual({ seq: 3, text: 'r2' });
    expect(put(b, 'next')).toEqual({ ok: true, seq: 51 });
    b.close();
  });

  it('never reuses a seq after every segment was acknowledged and deleted', () => {
    const dir = tmp();
    const a = open(dir, { segmentBytes: 200 });
    for (let i = 0; i < 20; i++) put(a, `r${i}`);
    for (let s = 1; s <= 20; s++) a.ack(s);
    a.close();
    const b = open(dir, { segmentBytes: 200 });
    expect(b.depth).toBe(0);
    expect(put(b, 'after')).toEqual({ ok: true, seq: 21 });
    b.close();
  });

  it('moves done only over a contiguous prefix of acks', () => {
    const box = open(tmp());
    for (let i = 0; i < 5; i++) put(box, `r${i}`);
    box.ack(2);
    box.ack(3);
    expect(box.doneSeq).toBe(0);
    box.ack(1);
    expect(box.doneSeq).toBe(3);
    box.close();
  });

  it('cuts a torn tail left by a power cut and keeps the whole records before it', () => {
    const dir = tmp();
    const a = open(dir);
    for (let i = 0; i < 10; i++) put(a, `r${i}`);
    a.close();
    const seg = fs.readdirSync(dir).find((f) => f.endsWith('.seg'))!;
    const p = path.join(dir, seg);
    fs.truncateSync(p, fs.statSync(p).size - 3);
    const b = open(dir);
    expect(b.depth).toBe(9);
    expect(put(b, 'after')).toEqual({ ok: true, seq: 10 });
    b.close();
  });

  const durable = (box: Outbox) => new Promise<number>((resolve) => box.once('durable', resolve));

  it('publishes nothing of a batched group before its group commit, whose fsync runs off the event loop', async () => {
    const box = open(tmp(), { fsync: { mode: 'batched', intervalMs: 60_000, maxRecords: 4 } });
    put(box, 'a');
    put(box, 'b');
    expect(box.read(1)).toBeUndefined();
    put(box, 'c');
    const committed = durable(box);
    put(box, 'd'); // the 4th record starts the group commit; it is durable only when its fsync has returned
    expect(box.durableSeq).toBe(0);
    expect(box.read(1)).toBeUndefined();
    expect(await committed).toBe(4);
    expect(box.durableSeq).toBe(4);
    expect(box.read(1)).toBeDefined();
    box.close();
  });

  it('keeps records appended during a running fsync out of its group, and commits them in the next one', async () => {
    const box = open(tmp(), { fsync: { mode: 'batched', intervalMs: 60_000, maxRecords: 4 } });
    const seen: number[] = [];
    box.on('durable', (s) => seen.push(s));
    for (let i = 0; i < 4; i++) put(box, `r${i}`); // group 1 (1..4) is syncing
    for (let i = 4; i < 8; i++) put(box, `r${i}`); // 5..8 reach maxRecords while 1..4 sync: queued
    expect(box.durableSeq).toBe(0);
    while (box.durableSeq < 8) await durable(box);
    expect(seen).toEqual([4, 8]);
    for (let s = 1; s <= 8; s++) expect(JSON.parse(box.read(s)!.payload)).toEqual({ seq: s, text: `r${s - 1}` });
    box.close();
  });

  it('loses nothing when closed while a group fsync is still running', () => {
    const dir = tmp();
    const box = open(dir, { fsync: { mode: 'batched', intervalMs: 60_000, maxRecords: 4 } });
    for (let i = 0; i < 10; i++) put(box, `r${i}`); // 1..4 syncing, 5..10 waiting
    expect(box.durableSeq).toBe(0);
    box.close(); // synchronous: writes and syncs all ten before it returns
    const again = open(dir);
    expect(again.depth).toBe(10);
    for (let s = 1; s <= 10; s++) expect(JSON.parse(again.read(s)!.payload).text).toBe(`r${s - 1}`);
    again.close();
  });

  it('commits a batched group early only when asked and at least the asked number of records wait', async () => {
    const box = open(tmp(), { fsync: { mode: 'batched', intervalMs: 60_000, maxRecords: 256 } });
    for (let i = 0; i < 3; i++) put(box, `r${i}`);
    expect(box.commitIfWaiting(4)).toBe(false);
    expect(box.durableSeq).toBe(0);
    expect(box.read(1)).toBeUndefined();
    put(box, 'r3');
    expect(box.pendingCommit).toBe(4);
    const committed = durable(box);
    expect(box.commitIfWaiting(4)).toBe(true);
    expect(await committed).toBe(4);
    expect(box.read(4)).toBeDefined();
    box.close();
  });

  it('replays, after a crash, every record whose ack had not yet been persisted in the cursor, and loses none', () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const dir = tmp();
    const crashed = open(dir, { fsync: { mode: 'batched', intervalMs: 5, maxRecords: 8 } });
    for (let i = 0; i < 20; i++) put(crashed, `r${i}`);
    crashed.commit();
    for (let s = 1; s <= 5; s++) crashed.ack(s);
    jest.advanceTimersByTime(250); // the cursor is persisted (batched) at most 100 ms after an ack
    for (let s = 6; s <= 12; s++) crashed.ack(s); // acked, cursor not yet persisted when the process dies
    expect(crashed.doneSeq).toBe(12);
    // A crash: no close(), no further timers (the agent process is gone); a second process opens the same dir.
    const after = open(dir, { fsync: { mode: 'batched', intervalMs: 5, maxRecords: 8 } });
    expect(after.doneSeq).toBe(5);
    expect(after.depth).toBe(15);
    for (let s = 6; s <= 20; s++) expect(JSON.parse(after.read(s)!.payload)).toEqual({ seq: s, text: `r${s - 1}` });
    expect(put(after, 'next')).toEqual({ ok: true, seq: 21 });
    after.close();
    jest.useRealTimers(); // the dead instance's pending cursor timer is discarded with the fake clock
  });

  describe('when the disk outbox is full', () => {
    it('reject-new refuses new records, keeps the old ones, and counts every refusal', () => {
      const box = open(tmp(), { maxBytes: 2000, segmentBytes: 500, overflow: 'reject-new' });
      let accepted = 0;
      let refused = 0;
      for (let i = 0; i < 100; i++) (put(box, `record ${i}`).ok ? accepted++ : refused++);
      expect(refused).toBeGreaterThan(0);
      expect(box.droppedTotal.rejected_new).toBe(refused);
      expect(box.bytesOnDisk).toBeLessThanOrEqual(2000);
      expect(JSON.parse(box.read(1)!.payload).text).toBe('record 0');
      expect(box.depth).toBe(accepted);
      box.close();
    });

    it('drop-oldest accepts every new record, drops the oldest, and counts what it dropped', () => {
      const box = open(tmp(), { maxBytes: 2000, segmentBytes: 500, overflow: 'drop-oldest' });
      for (let i = 0; i < 100; i++) expect(put(box, `record ${i}`).ok).toBe(true);
      expect(box.bytesOnDisk).toBeLessThanOrEqual(2000);
      expect(box.droppedTotal.dropped_oldest).toBe(100 - box.depth);
      expect(box.droppedTotal.dropped_oldest).toBeGreaterThan(0);
      expect(box.read(1)).toBeUndefined();
      expect(JSON.parse(box.read(100)!.payload).text).toBe('record 99');
      box.close();
    });
  });
});
