import { parseStatCpuSeconds, processCpuSeconds } from './cpu';
import { summariseAutocannon } from './load-summary';
import { parseVmHwm } from './server';
import { loadSettings } from './settings';

describe('summariseAutocannon', () => {
  const hist = (over: Record<string, number>) => ({ total: 0, average: 0, p50: 0, p90: 0, p99: 0, max: 0, ...over });
  it('reports all responses over the elapsed time, and the latency percentiles in ms', () => {
    const s = summariseAutocannon({
      requests: hist({ total: 25_000 }) as never,
      latency: hist({ p50: 1.5, p90: 3, p99: 9, max: 40 }) as never,
      throughput: hist({ total: 100_000_000 }) as never,
      non2xx: 3,
      errors: 1,
      duration: 10,
    });
    expect(s).toEqual({
      requestsPerSec: 2500,
      latency: { p50: 1.5, p90: 3, p99: 9, max: 40 },
      requests: 25_000,
      non2xx: 3,
      errors: 1,
      durationSec: 10,
      bytesPerSec: 10_000_000,
    });
  });
});

describe('parseVmHwm', () => {
  it('reads the peak RSS in bytes from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1234567 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  190000 kB\n';
    expect(parseVmHwm(status)).toBe(204800 * 1024);
  });
  it('is undefined when the line is missing', () => {
    expect(parseVmHwm('Name:\tnode\n')).toBeUndefined();
  });
});

describe('parseStatCpuSeconds', () => {
  it('adds utime and stime (ticks of 1/100 s), counting fields after a command name that holds spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 11 0 100 1000000 5000';
    expect(parseStatCpuSeconds(stat)).toBeCloseTo(12.9, 6);
  });
  it('refuses a line that is not a stat line', () => {
    expect(() => parseStatCpuSeconds('garbage')).toThrow(/stat/);
  });
  it('reads this process, which has used some CPU, and nothing for a pid that does not exist', () => {
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(processCpuSeconds(2 ** 22 + 7)).toBeUndefined();
  });
});

describe('loadSettings', () => {
  it('defaults to 20 connections for 10 s after a 2 s warm-up', () => {
    expect(loadSettings({})).toEqual({ connections: 20, durationSec: 10, warmupSec: 2 });
  });
  it('takes BENCH_DURATION and rejects nonsense', () => {
    expect(loadSettings({ BENCH_DURATION: '3' }).durationSec).toBe(3);
    expect(() => loadSettings({ BENCH_DURATION: 'ten' })).toThrow(/BENCH_DURATION/);
    expect(() => loadSettings({ BENCH_DURATION: '100000' })).toThrow(RangeError);
  });
});
