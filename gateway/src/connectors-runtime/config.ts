import fs from 'node:fs';
import { createEndpointGuard, erpMappingSchema } from '@cradle/connectors';
import { z } from 'zod';

/**
 * The connectors' configuration: which WMS, ERPs and MES to talk to, how often, and how each ERP names its
 * fields. Read once at start-up from CONNECTORS_CONFIG (inline JSON, or a path to a JSON file); unset runs no
 * connector. Secrets may be given as `{ "env": "NAME" }` to keep them out of the file.
 */
const secret = z.union([z.string().min(1), z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/) })]);
const id = z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, 'must be 2–31 lower-case letters, digits or dashes, starting with a letter');
const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/);
const everyMs = z.number().int().min(100).max(86_400_000);

const retry = z
  .strictObject({
    attempts: z.number().int().min(1).max(50).default(8),
    delayMs: z.number().int().min(10).max(3_600_000).default(2000),
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .default({ attempts: 8, delayMs: 2000, jitter: 0.2 });
const breaker = z
  .strictObject({
    errorThresholdPercentage: z.number().min(1).max(100).default(50),
    volumeThreshold: z.number().int().min(1).default(5),
    resetTimeoutMs: z.number().int().min(100).default(30_000),
    timeoutMs: z.number().int().min(100).default(30_000),
  })
  .default({ errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 30_000, timeoutMs: 30_000 });
const rateLimit = z.strictObject({ maxConcurrent: z.number().int().min(1).max(50).default(2), perSecond: z.number().min(0.01).max(1000).default(10) }).default({ maxConcurrent: 2, perSecond: 10 });

/** The circuit breaker and rate limiter of one connector endpoint, from its configuration (requests/s → spacing). */
export function endpointGuardFor(cfg: { id: string; breaker: z.infer<typeof breaker>; rateLimit: z.infer<typeof rateLimit> }) {
  return createEndpointGuard({
    name: cfg.id,
    breaker: cfg.breaker,
    rateLimit: { maxConcurrent: cfg.rateLimit.maxConcurrent, minTimeMs: Math.ceil(1000 / cfg.rateLimit.perSecond) },
  });
}

export const wmsConfig = z.strictObject({
  id: id.default('wms-central'),
  baseUrl: z.url(),
  token: secret.optional(),
  sites: z.array(code).min(1),
  pageSize: z.number().int().min(1).max(1000).default(500),
  movementsEveryMs: everyMs.default(10_000),
  confirmationsEveryMs: everyMs.default(10_000),
  snapshotEveryMs: everyMs.default(900_000),
  retry,
  breaker,
  rateLimit,
});

export { erpMappingSchema as erpMapping, type ErpMapping } from '@cradle/connectors';

export const erpConfig = z.strictObject({
  id,
  /** The ERP's WSDL (its endpoint comes from the WSDL unless `endpoint` overrides it). */
  wsdlUrl: z.url(),
  endpoint: z.url().optional(),
  username: z.string().min(1),
  password: secret,
  /** The warehouse(s) this ERP is the source of truth for (party codes). */
  sites: z.array(code).min(1),
  mapping: erpMappingSchema,
  pageSize: z.number().int().min(1).max(1000).default(200),
  movementsEveryMs: everyMs.default(60_000),
  snapshotEveryMs: everyMs.default(900_000),
  masterDataEveryMs: everyMs.default(3_600_000),
  receivablesEveryMs: everyMs.default(300_000),
  retry,
  breaker,
  rateLimit,
});
export type ErpConfig = z.infer<typeof erpConfig>;

export const mesConfig = z.strictObject({
  id: id.default('mes-factory'),
  baseUrl: z.url(),
  token: secret.optional(),
  pageSize: z.number().int().min(1).max(1000).default(200),
  everyMs: everyMs.default(60_000),
  retry,
  breaker,
  rateLimit,
});

export const connectorsConfig = z.strictObject({
  wms: wmsConfig.optional(),
  erps: z.array(erpConfig).default([]),
  mes: z.array(mesConfig).default([]),
});
export type ConnectorsConfig = z.infer<typeof connectorsConfig>;
export type WmsConfig = z.infer<typeof wmsConfig>;
export type MesConfig = z.infer<typeof mesConfig>;

export class ConnectorsConfigError extends Error {
  override name = 'ConnectorsConfigError';
}

/** Reads and validates CONNECTORS_CONFIG; throws naming each bad field. */
export function loadConnectorsConfig(env: NodeJS.ProcessEnv): ConnectorsConfig {
  const raw = env.CONNECTORS_CONFIG?.trim();
  if (!raw) return { erps: [], mes: [] };
  let json: unknown;
  try {
    json = JSON.parse(raw.startsWith('{') ? raw : fs.readFileSync(raw, 'utf8'));
  } catch (e) {
    throw new ConnectorsConfigError(`CONNECTORS_CONFIG: ${(e as Error).message}`);
  }
  const r = connectorsConfig.safeParse(json);
  if (!r.success) throw new ConnectorsConfigError(`CONNECTORS_CONFIG is invalid:\n${r.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const ids = [r.data.wms?.id, ...r.data.erps.map((e) => e.id), ...r.data.mes.map((m) => m.id)].filter(Boolean);
  const dup = ids.find((x, i) => ids.indexOf(x) !== i);
  if (dup) throw new ConnectorsConfigError(`CONNECTORS_CONFIG: connector id ${dup} is used twice`);
  return r.data;
}

/** A secret's value: literal, or read from the named environment variable. */
export function secretValue(s: string | { env: string } | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (s === undefined || typeof s === 'string') return s;
  const v = env[s.env];
  if (!v) throw new ConnectorsConfigError(`CONNECTORS_CONFIG names ${s.env}, which is not set`);
  return v;
}
