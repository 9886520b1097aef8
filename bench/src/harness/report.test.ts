import type { BenchResult } from '../types';
import { RESULTS_MARKER, ResultsNotFoundError, formatNumber, formatTable, parseResultsLine, resultRow, resultsLine } from './report';

const throughput: BenchResult = {
  name: 'master-data read [pglite]',
  metric: 'throughput',
  value: 4321.7,
  unit: 'req/s',
  baseline: { name: 'bare Express 5, 5000 B JSON', value: 9876 },
  ratio: 4321.7 / 9876,
  target: '>= 50% of baseline',
  met: false,
};
const rss: BenchResult = { name: 'master-data read [pglite]', metric: 'peak RSS', value: 212.4, unit: 'MiB' };

describe('results line', () => {
  it('round-trips through the marker line, whatever else the child printed', () => {
    const stdout = `some table\nwarning: x\n${resultsLine([throughput, rss])}\n`;
    expect(parseResultsLine(stdout)).toEqual([throughput, rss]);
  });
  it('takes the last marker line', () => {
    const stdout = `${resultsLine([rss])}\n${resultsLine([throughput])}\n`;
    expect(parseResultsLine(stdout)).toEqual([throughput]);
  });
  it('rejects output without a marker line, with bad JSON, or with the wrong shape', () => {
    expect(() => parseResultsLine('nothing here')).toThrow(ResultsNotFoundError);
    expect(() => parseResultsLine(`${RESULTS_MARKER}{not json`)).toThrow(/not JSON/);
    expect(() => parseResultsLine(`${RESULTS_MARKER}[{"name":"x"}]`)).toThrow(/not a list/);
  });
});

describe('formatting', () => {
  it('rounds by magnitude and groups thousands', () => {
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(98.76)).toBe('98.8');
    expect(formatNumber(4.321)).toBe('4.32');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });
  it('shows whole numbers whole', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(16)).toBe('16');
  });
  it('shows a row with value, baseline, ratio, target and a cross for a missed target', () => {
    expect(resultRow(throughput)).toEqual([
      'master-data read [pglite]',
      'throughput',
      '4,322 req/s',
      '9,876 req/s (bare Express 5, 5000 B JSON)',
      '43.8%',
      '>= 50% of baseline',
      '✘',
    ]);
  });
  it('leaves the verdict empty when there is no target, and ticks a met one', () => {
    expect(resultRow(rss)[6]).toBe('');
    expect(resultRow({ ...throughput, met: true })[6]).toBe('✔');
  });
  it('aligns every column under its header', () => {
    const lines = formatTable([throughput, rss]).split('\n');
    expect(lines).toHaveLength(4);
    const metricColumn = lines[0]!.indexOf('metric');
    expect(lines[2]!.indexOf('throughput')).toBe(metricColumn);
    expect(lines[3]!.indexOf('peak RSS')).toBe(metricColumn);
    expect(lines[1]).toMatch(/^-+ {2}-+/);
  });
});
