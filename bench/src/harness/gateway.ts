import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@cradle/protocol/src/testing/free-port';
import { bundled } from './bundle';
import { type RunningServer, startServer } from './server';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const BENCH_PASSWORD = 'bench-password-1';
/** The Node flags `npm start` gives the gateway's bundle; the bare-Express baseline runs with the same. */
export const GATEWAY_NODE_FLAGS = ['--enable-source-maps'];

export interface GatewayOptions {
  /** postgres:// URL; unset runs the embedded PGlite. */
  databaseUrl?: string | undefined;
  /** The schema the gateway creates and uses on PostgreSQL. */
  databaseSchema?: string | undefined;
  /** Extra Node flags before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Environment on top of the bench's (e.g. `MQTT_URL` for an external broker, pool size). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface RunningGateway extends RunningServer {
  dataDir: string;
}

/**
 * Starts the real gateway, bundled as `npm start` runs it (`node --enable-source-maps gateway/dist/…`), on free ports
 * with a fresh data directory, demo data and the bench password, and waits for /readyz. stop() also removes the data
 * directory.
 */
export async function startGateway(opts: GatewayOptions = {}): Promise<RunningGateway> {
  const { GATEWAY_BUNDLE } = require(path.join(REPO_ROOT, 'gateway', 'scripts', 'build.js')) as { GATEWAY_BUNDLE: { keepNames: boolean } };
  const main = await bundled(path.join(REPO_ROOT, 'gateway', 'src', 'main.ts'), path.join(REPO_ROOT, 'gateway', 'dist'), GATEWAY_BUNDLE);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cradle-bench-'));
  const removeDataDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  try {
    const server = await startServer({
      command: process.execPath,
      args: [...(opts.nodeArgs ?? []), ...GATEWAY_NODE_FLAGS, main],
      cwd: REPO_ROOT,
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        MQTT_PORT: String(await freePort()),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        CRADLE_DEMO_PASSWORD: BENCH_PASSWORD,
        DEMO: 'true',
        JWT_SECRET: crypto.randomBytes(32).toString('hex'),
        // Whatever the caller's shell has, the bench decides the drivers: empty selects the embedded one.
        DATABASE_URL: opts.databaseUrl ?? '',
        DATABASE_SCHEMA: opts.databaseSchema ?? '',
        MQTT_URL: '',
        REDIS_URL: '',
        // A benchmark's MQTT session is of no use after it: let the broker forget it soon (production keeps 7 days).
        INGEST_SESSION_EXPIRY_SECONDS: '60',
        ...opts.env,
      },
      readyUrl: '/readyz',
      timeoutMs: opts.readyTimeoutMs ?? 120_000,
    });
    return {
      ...server,
      dataDir,
      stop: async () => {
        await server.stop();
        removeDataDir();
      },
    };
  } catch (e) {
    removeDataDir();
    throw e;
  }
}

export class LoginError extends Error {
  override name = 'LoginError';
}

/** Logs in as a demo user and returns the bearer token. */
export async function login(baseUrl: string, username = 'hq-admin', password = BENCH_PASSWORD): Promise<string> {
  const res = await fetch(new URL('/api/v1/auth/token', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new LoginError(`login as ${username} answered ${res.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { access_token?: unknown };
  if (typeof body.access_token !== 'string') throw new LoginError(`login answer has no access_token: ${text.slice(0, 500)}`);
  return body.access_token;
}
