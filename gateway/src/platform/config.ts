import path from 'node:path';
import { z } from 'zod';

/**
 * Configuration is read from the environment once, at start-up, and validated here.
 * Unset connection URLs select the embedded drivers (PGlite, aedes, in-process jobs).
 */
const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalUrl = z.preprocess(emptyToUndefined, z.string().url().optional());
const port = z.coerce.number().int().min(0).max(65535);
const bool = z.preprocess(
  emptyToUndefined,
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? undefined : ['true', '1', 'yes'].includes(v))),
);

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: z.preprocess(emptyToUndefined, port.default(8080)),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  PUBLIC_URL: optionalUrl,
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  DATABASE_URL: z.preprocess(emptyToUndefined, z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  DATABASE_SCHEMA: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').optional()),
  DATABASE_POOL_SIZE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(200).default(10)),
  MQTT_URL: z.preprocess(emptyToUndefined, z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be an mqtt:// or mqtts:// URL').optional()),
  MQTT_PORT: z.preprocess(emptyToUndefined, port.default(1883)),
  MQTT_USERNAME: z.preprocess(emptyToUndefined, z.string().optional()),
  MQTT_PASSWORD: z.preprocess(emptyToUndefined, z.string().optional()),
  REDIS_URL: z.preprocess(emptyToUndefined, z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional()),
  REDIS_PREFIX: z.preprocess(emptyToUndefined, z.string().default('cradle')),
  JWT_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_TTL_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(60).max(86400).default(900)),
  DEMO: bool,
  CRADLE_DEMO_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(8, 'must be at least 8 characters').default('cradle-demo-2026')),
  CRADLE_ROLE: z.preprocess(emptyToUndefined, z.enum(['all', 'api', 'worker']).default('all')),
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.string().default('loopback')),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  BODY_LIMIT: z.preprocess(emptyToUndefined, z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb').default('1mb')),
  LOGIN_RATE_LIMIT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).default(10)),
});

export interface Config {
  /**
   * all: one process does everything (embedded default). api: HTTP and MQTT ingest, jobs only enqueued
   * (gateway replicas). worker: runs the jobs (BullMQ workers and schedules) and serves only health and metrics.
   */
  role: 'all' | 'api' | 'worker';
  env: 'development' | 'production' | 'test';
  /** Express `trust proxy`: which proxies' X-Forwarded-For to believe (client address for rate limits). */
  http: { host: string; port: number; publicUrl: string | undefined; bodyLimit: string; trustProxy: string };
  dataDir: string;
  database: { url: string | undefined; schema: string | undefined; poolSize: number };
  mqtt: { url: string | undefined; port: number; username: string | undefined; password: string | undefined };
  redis: { url: string | undefined; prefix: string };
  auth: { jwtSecret: string | undefined; jwtTtlSeconds: number; loginRateLimit: number };
  demo: { enabled: boolean; password: string };
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment into a typed configuration or throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '?');
        const got = env[name];
        return `${name}: ${i.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
      }),
    );
  }
  const e = parsed.data;
  const embedded = e.DATABASE_URL === undefined;
  if (e.CRADLE_ROLE !== 'all' && !e.REDIS_URL) {
    throw new ConfigError([`CRADLE_ROLE: "${e.CRADLE_ROLE}" splits jobs from the API, which needs REDIS_URL (BullMQ); leave it unset for one process`]);
  }
  return {
    role: e.CRADLE_ROLE,
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, publicUrl: e.PUBLIC_URL, bodyLimit: e.BODY_LIMIT, trustProxy: e.TRUST_PROXY },
    dataDir: path.resolve(e.DATA_DIR),
    database: { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, poolSize: e.DATABASE_POOL_SIZE },
    mqtt: { url: e.MQTT_URL, port: e.MQTT_PORT, username: e.MQTT_USERNAME, password: e.MQTT_PASSWORD },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    auth: { jwtSecret: e.JWT_SECRET, jwtTtlSeconds: e.JWT_TTL_SECONDS, loginRateLimit: e.LOGIN_RATE_LIMIT },
    // Demo data is the default for the embedded start only; a server database must opt in.
    demo: { enabled: e.DEMO ?? embedded, password: e.CRADLE_DEMO_PASSWORD },
    logLevel: e.LOG_LEVEL,
  };
}
