/**
 * The harness measured against itself: the bare Express baseline, twice, in two fresh processes.
 * The ratio should be near 100%; how far it strays is the noise floor for every other ratio on this machine.
 * Run alone: `node --import tsx bench/src/harness/self-check.ts` (BENCH_DURATION etc. apply).
 */
import type { BenchResult } from '../types';
import { startBareExpress } from './bare-express-server';
import { observed, ratio } from './compare';
import { loadTest } from './load';
import { runStandalone } from './report';
import { loadSettings } from './settings';

const BODY_BYTES = 8 * 1024;

async function measure() {
  const settings = loadSettings();
  const server = await startBareExpress(BODY_BYTES);
  try {
    const load = await loadTest({ url: `${server.url}/payload`, ...settings });
    return { load, rss: server.peakRssBytes() ?? Number.NaN };
  } finally {
    await server.stop();
  }
}

export default async function run(): Promise<BenchResult[]> {
  const a = await measure();
  const b = await measure();
  const name = `harness self-check (bare Express 5, ${BODY_BYTES} B)`;
  const baseline = (value: number) => ({ name: 'the same server, first run', value });
  const r = ratio(b.load.requestsPerSec, a.load.requestsPerSec);
  return [
    {
      name,
      metric: 'throughput',
      value: b.load.requestsPerSec,
      unit: 'req/s',
      baseline: baseline(a.load.requestsPerSec),
      ratio: r,
      target: '90%..110% of baseline',
      met: r !== undefined && r >= 0.9 && r <= 1.1,
    },
    observed({ name, metric: 'p99 latency', value: b.load.latency.p99, unit: 'ms', baseline: baseline(a.load.latency.p99) }),
    observed({ name, metric: 'peak RSS', value: b.rss / 2 ** 20, unit: 'MiB', baseline: baseline(a.rss / 2 ** 20) }),
  ];
}

if (require.main === module) runStandalone(run);
