import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('waits the same delay before every retry with a fixed policy', () => {
    expect([1, 2, 3, 7].map((n) => retryDelayMs({ type: 'fixed', delayMs: 250 }, n))).toEqual([250, 250, 250, 250]);
  });

  it('doubles the wait for each further retry with an exponential policy', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs({ type: 'exponential', delayMs: 100 }, n))).toEqual([100, 200, 400, 800]);
  });

  it('draws a jittered wait from [d·(1-j), d)', () => {
    const policy = { type: 'exponential' as const, delayMs: 1000, jitter: 0.25 };
    expect(retryDelayMs(policy, 3, () => 0)).toBe(3000);
    expect(retryDelayMs(policy, 3, () => 0.999999)).toBe(3999);
    expect(retryDelayMs(policy, 3, () => 0.5)).toBe(3500);
    expect(retryDelayMs({ type: 'fixed', delayMs: 1000, jitter: 0.25 }, 9, () => 0.5)).toBe(875);
  });

  it('clamps jitter outside 0..1', () => {
    expect(retryDelayMs({ type: 'fixed', delayMs: 100, jitter: 5 }, 1, () => 0.5)).toBe(50);
    expect(retryDelayMs({ type: 'fixed', delayMs: 100, jitter: -1 }, 1, () => 0.5)).toBe(100);
  });
});
