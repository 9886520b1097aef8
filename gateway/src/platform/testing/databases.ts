import crypto from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../db';

/** The PostgreSQL server the tests use (SERVICES.md); `.ci/run` exports TEST_DATABASE_URL. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_MQTT_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export type DriverName = 'pglite' | 'postgres';
export const DRIVERS: DriverName[] = ['pglite', 'postgres'];

export interface TestDatabase extends DatabaseHandle {
  /** Closes and, for PostgreSQL, drops the test's own schema. */
  dispose(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file: in-memory PGlite, or a random schema on PostgreSQL. */
export async function openTestDatabase(driver: DriverName): Promise<TestDatabase> {
  if (driver === 'pglite') {
    const h = await openDatabase({});
    return { ...h, dispose: () => h.close() };
  }
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const h = await openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 5 });
  return {
    ...h,
    dispose: async () => {
      await h.close();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}
