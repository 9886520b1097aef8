import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect';
import type { Database } from './schema';
import { migrateToLatest } from './migrate';

export type Db = Kysely<Database>;
export type { Database } from './schema';

export interface DatabaseHandle {
  db: Db;
  driver: 'pglite' | 'postgres';
  /** Liveness of the connection, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; unset opens PGlite. */
  url?: string | undefined;
  /** PGlite data directory; unset (with no url) keeps PGlite in memory, as tests do. */
  dataDir?: string | undefined;
  /** A schema to create and use (tests give each run its own). */
  schema?: string | undefined;
  poolSize?: number;
  migrate?: boolean;
}

// int8 (count(*), bigserial) and numeric arrive as strings from node-postgres; keep int8 as number where safe.
pg.types.setTypeParser(20, (v) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});
pg.types.setTypeParser(1700, (v) => Number(v));
// date stays a 'YYYY-MM-DD' string: a calendar date has no time zone.
pg.types.setTypeParser(1082, (v) => v);

/** Opens the database on one of the two drivers and brings its schema up to date. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (opts.url) {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      // Shown in pg_stat_activity, so an operator (or a benchmark) can tell the gateway's sessions apart.
      application_name: process.env.PGAPPNAME || 'cradle-gateway',
      // No JIT: the gateway's statements are short, and where an estimate runs high (a recursive CTE's rows times a
      // lookup per row) PostgreSQL compiled the plan first, ~0.5 s on the diversion feed's page of codes against a
      // few ms to run it (auto_explain).
      options: ['-c jit=off', ...(opts.schema ? [`-c search_path=${opts.schema}`] : [])].join(' '),
    });
    if (opts.schema) {
      const c = await pool.connect();
      try {
        await c.query(`create schema if not exists ${quoteIdent(opts.schema)}`);
      } finally {
        c.release();
      }
    }
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    handle = {
      db,
      driver: 'postgres',
      ping: async () => void (await sql`select 1`.execute(db)),
      close: () => db.destroy(),
    };
  } else {
    if (opts.dataDir) fs.mkdirSync(path.resolve(opts.dataDir), { recursive: true });
    const pglite = new PGlite(opts.dataDir ? path.resolve(opts.dataDir, 'pglite') : undefined);
    await pglite.waitReady;
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    if (opts.schema) {
      await sql.raw(`create schema if not exists ${quoteIdent(opts.schema)}; set search_path to ${quoteIdent(opts.schema)}`).execute(db);
    }
    handle = {
      db,
      driver: 'pglite',
      ping: async () => void (await sql`select 1`.execute(db)),
      close: () => db.destroy(),
    };
  }
  if (opts.migrate !== false) await migrateToLatest(handle.db, opts.schema);
  return handle;
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid schema name ${JSON.stringify(name)}`);
  return `"${name}"`;
}
