import { spawn } from 'node:child_process';
import path from 'node:path';
import { LOAD_MARKER, LOAD_OPTIONS_ENV, type LoadOptions, type LoadSummary } from './load-summary';

export type { LoadOptions, LoadSummary } from './load-summary';

const WORKER = path.join(__dirname, 'load-worker.ts');

export class LoadTestError extends Error {
  override name = 'LoadTestError';
}

/**
 * Drives `url` with autocannon from a second process and returns what it measured.
 * The child is killed if it outlives the run by more than a minute, so no load loop is ever unbounded.
 */
export function loadTest(opts: LoadOptions): Promise<LoadSummary> {
  const limitMs = ((opts.warmupSec ?? 0) + opts.durationSec + 60) * 1000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, [LOAD_OPTIONS_ENV]: JSON.stringify(opts) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new LoadTestError(`could not start the load worker: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(LOAD_MARKER));
      if (code !== 0 || line === undefined) {
        reject(new LoadTestError(`load worker exited (code ${code}, signal ${signal}) without a summary:\n${err}`));
        return;
      }
      resolve(JSON.parse(line.slice(LOAD_MARKER.length)) as LoadSummary);
    });
  });
}
