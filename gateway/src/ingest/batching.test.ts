import { batchToStart } from './consumer';

const limits = { maxBatch: 1000, batchesInFlight: 3 };

describe('batchToStart: when the consumer starts a batch, and how big', () => {
  it('starts full batches while a slot is free, whether or not the linger is over', () => {
    expect(batchToStart(1000, 0, limits, false)).toBe(1000);
    expect(batchToStart(2500, 2, limits, false)).toBe(1000);
    expect(batchToStart(1000, 2, limits, true)).toBe(1000);
  });

  it('starts nothing while every slot is taken, however long the queue', () => {
    expect(batchToStart(4000, 3, limits, false)).toBe(0);
    expect(batchToStart(4000, 3, limits, true)).toBe(0);
  });

  it('starts a partial batch only after its linger, and only with nothing in flight', () => {
    expect(batchToStart(10, 0, limits, false)).toBe(0);
    expect(batchToStart(10, 0, limits, true)).toBe(10);
    // With batches running the partial batch waits: their completion schedules again, by when it has grown.
    expect(batchToStart(10, 1, limits, true)).toBe(0);
    expect(batchToStart(999, 2, limits, true)).toBe(0);
  });

  it('starts nothing for an empty queue', () => {
    expect(batchToStart(0, 0, limits, true)).toBe(0);
  });
});
