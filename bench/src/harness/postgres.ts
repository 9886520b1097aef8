import crypto from 'node:crypto';
import pg from 'pg';

export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export type PostgresChoice =
  | { run: false; reason: string }
  | { run: true; url: string; explicit: boolean };

/**
 * Whether to run a benchmark on PostgreSQL too: BENCH_DATABASE_URL=off skips it, a URL selects the server,
 * unset tries the machine's test server (SERVICES.md) and skips quietly if it is not there.
 */
export async function choosePostgres(env: NodeJS.ProcessEnv = process.env): Promise<PostgresChoice> {
  const setting = env.BENCH_DATABASE_URL;
  if (setting !== undefined && ['off', 'none', 'false', '0'].includes(setting.toLowerCase())) {
    return { run: false, reason: `BENCH_DATABASE_URL=${setting}` };
  }
  const url = setting || DEFAULT_BENCH_DATABASE_URL;
  const explicit = Boolean(setting);
  try {
    await withClient(url, (c) => c.query('select 1'));
  } catch (e) {
    if (explicit) throw new Error(`BENCH_DATABASE_URL is not reachable: ${(e as Error).message}`);
    return { run: false, reason: `no PostgreSQL at ${url} (${(e as Error).message})` };
  }
  return { run: true, url, explicit };
}

/** A schema name of the bench's own, so runs never see each other's data. */
export function benchSchemaName(): string {
  return `bench_${crypto.randomBytes(5).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!/^bench_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop ${schema}: not a bench schema`);
  await withClient(url, (c) => c.query(`drop schema if exists "${schema}" cascade`));
}

async function withClient<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}
