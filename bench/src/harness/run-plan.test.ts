import { UnknownBenchmarkError, benchmarkNames, exitCodeFor, redactUrlPassword, resultsFileName, selectBenchmarks } from './run-plan';

describe('benchmark selection', () => {
  const files = ['protocol-parse.ts', 'master-data.ts', 'master-data.test.ts', 'notes.md', 'types.d.ts'];
  it('finds the benchmark files, not tests or declarations, sorted', () => {
    expect(benchmarkNames(files)).toEqual(['master-data', 'protocol-parse']);
  });
  it('runs all when none is named, else the named ones once each in the given order', () => {
    const available = ['master-data', 'protocol-parse'];
    expect(selectBenchmarks(available, [])).toEqual(available);
    expect(selectBenchmarks(available, ['protocol-parse', 'master-data', 'protocol-parse'])).toEqual(['protocol-parse', 'master-data']);
  });
  it('names the unknown benchmark and the known ones', () => {
    expect(() => selectBenchmarks(['master-data'], ['masterdata'])).toThrow(UnknownBenchmarkError);
    expect(() => selectBenchmarks(['master-data'], ['masterdata'])).toThrow(/masterdata.*master-data/);
  });
});

describe('run record', () => {
  it('names the results file by a sortable, colon-free UTC timestamp', () => {
    expect(resultsFileName(new Date('2026-05-01T09:30:07.123Z'))).toBe('2026-05-01T09-30-07Z.json');
  });
  it('exits 0 when every benchmark ran, whatever its targets, and 1 when one crashed', () => {
    const ok = { benchmark: 'a', ok: true, durationMs: 1, results: [{ name: 'a', metric: 'm', value: 1, unit: '', met: false }] };
    expect(exitCodeFor([ok])).toBe(0);
    expect(exitCodeFor([ok, { ...ok, benchmark: 'b', ok: false, results: [], error: 'boom' }])).toBe(1);
  });
  it('hides a password in a URL setting', () => {
    expect(redactUrlPassword('postgres://bench:s3cret@127.0.0.1:5432/test')).toBe('postgres://bench:***@127.0.0.1:5432/test');
    expect(redactUrlPassword('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});
