/**
 * Test helper: the gateway as a child process (`node --import tsx gateway/src/main.ts`, or its bundle) on the machine's
 * Mosquitto and PostgreSQL, for tests that kill it or run several replicas of it. Demo data, its own schema, a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@cradle/protocol/src/testing/free-port';
import pg from 'pg';
import { TEST_DATABASE_URL, TEST_MQTT_URL } from '../platform/testing/databases';

const MAIN = path.join(__dirname, '..', 'main.ts');
export const PROCESS_GATEWAY_PASSWORD = 'process-gateway-password';

export interface ProcessGateway {
  child: ChildProcess;
  base: string;
  /** Resolves once /readyz answers 200 (migrations done, ingest subscribed). */
  ready(): Promise<void>;
  /** An HQ token (the demo's hq-admin). */
  token(): Promise<string>;
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts a gateway process on `schema` with the demo data; `env` adds to (or overrides) its environment (PORT: a port
 * of its own choosing). `bundle`: a built bundle (gateway/scripts/build.js) to run as `npm start` does, instead of the
 * sources through tsx.
 */
export async function spawnGateway(schema: string, env: Record<string, string> = {}, bundle?: string): Promise<ProcessGateway> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, bundle ? ['--enable-source-maps', bundle] : ['--import', 'tsx', MAIN], {
    cwd: path.join(__dirname, '..', '..', '..'),
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      HOST: '127.0.0.1',
      MQTT_URL: TEST_MQTT_URL,
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      DEMO: 'true',
      CRADLE_DEMO_PASSWORD: PROCESS_GATEWAY_PASSWORD,
      DATA_DIR: path.join(os.tmpdir(), `${schema}-data`),
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
      ...env,
      PORT: String(port),
    },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && code !== 0 && code !== null) process.stderr.write(`gateway exited ${code}: ${stderr}\n`);
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    base,
    ready: () => waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, 90_000),
    async token() {
      const login = await fetch(`${base}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'hq-admin', password: PROCESS_GATEWAY_PASSWORD }) });
      return ((await login.json()) as { access_token: string }).access_token;
    },
  };
}

/** A test's schema, a pool on it, and the gateway processes it started: `cleanup()` kills them and drops the schema. */
export interface GatewayFixture {
  schema: string;
  pool: pg.Pool;
  /** The `n` of a `select count(*) as n …` on the schema. */
  count(query: string, params?: unknown[]): Promise<number>;
  spawn(env?: Record<string, string>, bundle?: string): Promise<ProcessGateway>;
  cleanup(): Promise<void>;
}

export function gatewayFixture(): GatewayFixture {
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const children: ChildProcess[] = [];
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}`, max: 2 });
  return {
    schema,
    pool,
    count: async (query, params = []) => Number((await pool.query<{ n: string }>(query, params)).rows[0]!.n),
    async spawn(env = {}, bundle) {
      const gw = await spawnGateway(schema, env, bundle);
      children.push(gw.child);
      return gw;
    },
    async cleanup() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await pool.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
      await pool.end();
    },
  };
}
