/**
 * Runs the benchmarks in ./benchmarks (all, or those named: `npm run bench -- master-data`), each in a fresh
 * child process, prints one table and writes bench/results/<timestamp>.json. Exits 0 when targets are missed
 * (it is a report) and 1 when a benchmark crashed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseResultsLine, formatTable } from './harness/report';
import {
  type BenchmarkOutcome,
  type RunRecord,
  benchmarkNames,
  exitCodeFor,
  redactUrlPassword,
  resultsFileName,
  selectBenchmarks,
} from './harness/run-plan';

const BENCH_DIR = path.join(__dirname, 'benchmarks');
const RESULTS_DIR = path.join(__dirname, '..', 'results');
const REPO_ROOT = path.join(__dirname, '..', '..');

function runOne(benchmark: string, timeoutMs: number): Promise<BenchmarkOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, `${benchmark}.ts`)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => {
      process.stderr.write(`bench: ${benchmark} ran past ${timeoutMs / 1000} s; killing it\n`);
      child.kill('SIGKILL');
    }, timeoutMs);
    const done = (error: string | undefined) => {
      clearTimeout(timer);
      let results: BenchmarkOutcome['results'] = [];
      if (error === undefined) {
        try {
          results = parseResultsLine(out);
        } catch (e) {
          error = (e as Error).message;
        }
      }
      resolve({ benchmark, ok: error === undefined, durationMs: Date.now() - started, results, error });
    };
    child.once('error', (e) => done(`could not start: ${e.message}`));
    child.once('exit', (code, signal) => done(code === 0 ? undefined : `exited with code ${code}, signal ${signal}`));
  });
}

async function main(): Promise<number> {
  const available = benchmarkNames(fs.readdirSync(BENCH_DIR));
  const selected = selectBenchmarks(available, process.argv.slice(2));
  const timeoutMs = Number(process.env.BENCH_TIMEOUT ?? 900) * 1000;
  const startedAt = new Date();
  const outcomes: BenchmarkOutcome[] = [];
  for (const name of selected) {
    process.stderr.write(`bench: running ${name}…\n`);
    const outcome = await runOne(name, timeoutMs);
    process.stderr.write(`bench: ${name} ${outcome.ok ? 'done' : `FAILED (${outcome.error})`} in ${(outcome.durationMs / 1000).toFixed(1)} s\n`);
    outcomes.push(outcome);
  }

  const results = outcomes.flatMap((o) => o.results);
  process.stdout.write(`\n${formatTable(results)}\n`);
  const crashed = outcomes.filter((o) => !o.ok);
  for (const o of crashed) process.stdout.write(`\n✘ ${o.benchmark} crashed: ${o.error}\n`);

  const record: RunRecord = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    env: Object.fromEntries(
      Object.entries(process.env)
        .filter((e): e is [string, string] => e[0].startsWith('BENCH_') && e[1] !== undefined)
        .map(([k, v]) => [k, redactUrlPassword(v)]),
    ),
    outcomes,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, resultsFileName(startedAt));
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  return exitCodeFor(outcomes);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
