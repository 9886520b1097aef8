import os from 'node:os';
import { z } from 'zod';

/** The ingest's defaults: the environment's (below) and startIngest's when a caller leaves an option out. */
export const INGEST_DEFAULTS = { maxBatch: 1000, lingerMs: 10, batchesInFlight: 3, receiveMaximum: 4000, sessionExpirySeconds: 7 * 24 * 3600 } as const;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1-64)');
const envSchema = z.object({
  INGEST_CLIENT_ID: z.preprocess((v) => (v === '' ? undefined : v), id.optional()),
  INGEST_SHARE_GROUP: z.preprocess((v) => (v === '' ? undefined : v), id.optional()),
  INGEST_MAX_BATCH: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(10_000).default(INGEST_DEFAULTS.maxBatch)),
  INGEST_LINGER_MS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(1000).default(INGEST_DEFAULTS.lingerMs)),
  INGEST_BATCHES_IN_FLIGHT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(8).default(INGEST_DEFAULTS.batchesInFlight)),
  INGEST_RECEIVE_MAXIMUM: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(65_535).default(INGEST_DEFAULTS.receiveMaximum)),
  INGEST_SESSION_EXPIRY_SECONDS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(4_294_967_295).default(INGEST_DEFAULTS.sessionExpirySeconds)),
});

export interface IngestSettings {
  clientId: string;
  shareGroup: string;
  maxBatch: number;
  lingerMs: number;
  batchesInFlight: number;
  /** MQTT 5 receive maximum: how many unacknowledged messages the broker may have out to this client. */
  receiveMaximum: number;
  /** MQTT 5 session expiry: how long the broker keeps the session (and queues its messages) while the gateway is away. */
  sessionExpirySeconds: number;
}

/**
 * Ingest settings from the environment, validated at start-up. The client id must be stable across restarts (the
 * broker keeps the session's unacknowledged messages for it) and distinct per replica; the share group is the same
 * for every replica that writes to one database, so they split the stream and never each take all of it.
 */
export function ingestSettings(env: NodeJS.ProcessEnv, database: { schema: string | undefined }): IngestSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid ingest configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const scope = (database.schema ?? 'public').slice(0, 24);
  const host = os.hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 24);
  return {
    clientId: e.INGEST_CLIENT_ID ?? `cradle-ingest-${scope}-${host}`,
    shareGroup: e.INGEST_SHARE_GROUP ?? `cradle-ingest-${scope}`,
    maxBatch: e.INGEST_MAX_BATCH,
    lingerMs: e.INGEST_LINGER_MS,
    batchesInFlight: e.INGEST_BATCHES_IN_FLIGHT,
    receiveMaximum: e.INGEST_RECEIVE_MAXIMUM,
    sessionExpirySeconds: e.INGEST_SESSION_EXPIRY_SECONDS,
  };
}
