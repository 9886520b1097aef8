import type { BackoffPolicy } from './definition';

/**
 * The wait before retry number `retry` (1 for the wait after the first failed attempt).
 * Same formula as BullMQ's built-in strategies, so both drivers back off alike: with jitter j the
 * wait is drawn from [d·(1-j), d), where d is delayMs (fixed) or delayMs·2^(retry-1) (exponential).
 * `random` returns a number in [0, 1); it is passed in so tests can pin it.
 */
export function retryDelayMs(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const base = policy.type === 'fixed' ? policy.delayMs : policy.delayMs * 2 ** Math.max(0, retry - 1);
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  if (jitter === 0) return Math.round(base);
  return Math.floor(base * (1 - jitter) + random() * base * jitter);
}
