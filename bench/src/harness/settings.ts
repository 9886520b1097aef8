/** Load settings shared by the HTTP benchmarks, from the environment (BENCH_DURATION etc.), with sane bounds. */
export interface LoadSettings {
  connections: number;
  durationSec: number;
  warmupSec: number;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): LoadSettings {
  return {
    connections: bounded(env.BENCH_CONNECTIONS, 20, 1, 1000, 'BENCH_CONNECTIONS'),
    durationSec: bounded(env.BENCH_DURATION, 10, 1, 300, 'BENCH_DURATION'),
    warmupSec: bounded(env.BENCH_WARMUP, 2, 0, 60, 'BENCH_WARMUP'),
  };
}

function bounded(raw: string | undefined, dflt: number, min: number, max: number, name: string): number {
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${name} must be an integer within ${min}..${max}, got ${raw}`);
  return n;
}
