import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Gateway, startGateway } from '../gateway';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logging';
import { type DriverName, TEST_DATABASE_URL } from '../platform/testing/databases';

export const TEST_PASSWORD = 'test-password-0';

export interface TestGateway extends Gateway {
  /** GET/POST etc. against the gateway; returns status, headers and parsed body. */
  call(method: string, path: string, opts?: { token?: string; apiKey?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  login(username: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

/** A whole gateway on its own database (PGlite in a temp dir, or a random PostgreSQL schema), with demo data. */
export async function startTestGateway(driver: DriverName, env: Record<string, string> = {}): Promise<TestGateway> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cradle-test-'));
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    DATA_DIR: dataDir,
    DEMO: 'true',
    CRADLE_DEMO_PASSWORD: TEST_PASSWORD,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(driver === 'postgres' ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema } : {}),
    ...env,
  });
  const gateway = await startGateway(config, createLogger(config.logLevel));
  const call: TestGateway['call'] = async (method, p, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(`${gateway.url}${p}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    ...gateway,
    call,
    async login(username, password = TEST_PASSWORD) {
      const r = await call('POST', '/api/v1/auth/token', { body: { username, password } });
      if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.access_token as string;
    },
    async stop() {
      await gateway.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (driver === 'postgres') {
        const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await c.connect();
        await c.query(`drop schema if exists "${schema}" cascade`).finally(() => c.end());
      }
    },
  };
}
