import { z } from 'zod';
import { err, ok, type Result } from '../result';
import { isValidGtin } from '../gs1/check-digit';
import { scanFastCheck } from './scan-fast-check';
import { SCAN_ERROR_CODES, type ScanErrorCode } from '../gs1/scan-error';
import type { Scan } from '../gs1/scan';
import { UUID_V7 } from './source-id';
import { ID_PATTERN, type Channel, type UpChannel } from './topics';

/** Source timestamps: ISO-8601 UTC with milliseconds, as Date.prototype.toISOString() writes them. */
export const SOURCE_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const id = z.string().regex(UUID_V7, 'id must be a UUIDv7 made at the source');
const ts = z.string().regex(SOURCE_TS, 'ts must be ISO-8601 UTC with milliseconds, e.g. 2025-01-31T08:15:00.123Z');
const deviceRef = z.string().regex(ID_PATTERN);

/** Fields every up-going message carries: ingest is idempotent on `id`, ordered per device by `seq`. */
export const envelopeSchema = z.object({
  v: z.literal(1),
  id,
  siteId: deviceRef,
  deviceId: deviceRef,
  /** Per-device counter starting at 1, incremented for every message the device publishes. */
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  ts,
});
export type Envelope = z.infer<typeof envelopeSchema>;

const aiRecord = z.record(z.string().regex(/^\d{2,4}$/), z.string());

export const scanBodySchema = z.object({
  scannerId: z.string().min(1),
  /** Exactly as read, control characters (GS) included. */
  raw: z.string(),
  symbology: z.string().optional(),
  parsed: z.object({
    gtin: z.string().refine(isValidGtin, 'gtin must be a valid GTIN').optional(),
    serial: z.string().optional(),
    batch: z.string().optional(),
    /** ISO date (YYYY-MM-DD); a label day 00 is already resolved to the month's end. */
    expiry: z.string().regex(ISO_DATE).optional(),
    sscc: z.string().regex(/^\d{18}$/).optional(),
    gln: z.string().regex(/^\d{13}$/).optional(),
    /** Every AI read → value. */
    elements: aiRecord,
  }),
  digitalLink: z.string().url().optional(),
  context: z.object({ orderId: z.string().optional(), sscc: z.string().regex(/^\d{18}$/).optional() }).optional(),
});

export const scanErrorCodeSchema = z.enum(SCAN_ERROR_CODES as [ScanErrorCode, ...ScanErrorCode[]]);

export const rejectBodySchema = z.object({
  scannerId: z.string().min(1),
  raw: z.string(),
  code: scanErrorCodeSchema,
  message: z.string(),
});

export const READING_QUALITIES = ['good', 'uncertain', 'bad'] as const;

export const readingBodySchema = z.object({
  /** Where the value came from, e.g. an OPC-UA node id. */
  source: z.string().min(1),
  /** e.g. sterilisation_temperature, sterilisation_pressure, hold_time. */
  name: z.string().min(1),
  value: z.number().finite(),
  unit: z.string().min(1),
  quality: z.enum(READING_QUALITIES),
  sourceTime: ts.optional(),
  batch: z.string().optional(),
  outOfLimits: z.boolean().optional(),
  limits: z.object({ min: z.number().finite().optional(), max: z.number().finite().optional() }).optional(),
});

export const PRODUCTION_KINDS = ['batch_started', 'batch_completed', 'batch_aborted', 'batch_held', 'batch_released'] as const;

export const productionBodySchema = z.object({
  kind: z.enum(PRODUCTION_KINDS),
  batch: z.string().min(1).max(20),
  gtin: z.string().refine(isValidGtin, 'gtin must be a valid GTIN'),
  line: z.string().optional(),
  productionDate: z.string().regex(ISO_DATE).optional(),
  expiryDate: z.string().regex(ISO_DATE).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const DEVICE_STATES = ['online', 'offline', 'degraded'] as const;

export const statusBodySchema = z.object({
  state: z.enum(DEVICE_STATES),
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const scanMessageSchema = envelopeSchema.extend(scanBodySchema.shape);
export const rejectMessageSchema = envelopeSchema.extend(rejectBodySchema.shape);
export const readingMessageSchema = envelopeSchema.extend(readingBodySchema.shape);
export const productionMessageSchema = envelopeSchema.extend(productionBodySchema.shape);
export const statusMessageSchema = envelopeSchema.extend(statusBodySchema.shape);

export type ScanMessage = z.infer<typeof scanMessageSchema>;
const scanAccepts = scanFastCheck(scanMessageSchema, scanBodySchema.shape.digitalLink);
export type RejectMessage = z.infer<typeof rejectMessageSchema>;
export type ReadingMessage = z.infer<typeof readingMessageSchema>;
export type ProductionMessage = z.infer<typeof productionMessageSchema>;
export type StatusMessage = z.infer<typeof statusMessageSchema>;

export const COMMANDS = ['set_order', 'close_order', 'set_batch', 'close_batch', 'set_config', 'ping'] as const;

/** Down to a device on cradle/v1/{siteId}/{deviceId}/command. */
export const commandMessageSchema = z.object({
  v: z.literal(1),
  id,
  ts,
  command: z.enum(COMMANDS),
  args: z.record(z.string(), z.unknown()),
});
export type CommandMessage = z.infer<typeof commandMessageSchema>;

export const upMessageSchemas = {
  scan: scanMessageSchema,
  reject: rejectMessageSchema,
  reading: readingMessageSchema,
  production: productionMessageSchema,
  status: statusMessageSchema,
} as const satisfies Record<UpChannel, z.ZodType>;

export type MessageFor<C extends Channel> = C extends 'command' ? CommandMessage : z.infer<(typeof upMessageSchemas)[Exclude<C, 'command'>]>;

export interface PayloadError {
  readonly code: 'INVALID_JSON' | 'INVALID_PAYLOAD';
  readonly message: string;
  readonly issues?: readonly { readonly path: string; readonly message: string }[];
}

/** Parses a payload (bytes as text, or already-decoded JSON) received on a channel. */
export function parsePayload<C extends Channel>(channel: C, payload: string | unknown): Result<MessageFor<C>, PayloadError> {
  let json: unknown = payload;
  if (typeof payload === 'string') {
    try {
      json = JSON.parse(payload);
    } catch {
      return err({ code: 'INVALID_JSON', message: `The ${channel} payload is not JSON.` });
    }
  }
  // A scan that passes the compiled check is taken as parsed (scan-fast-check.ts); anything else, and every other
  // channel, goes through zod, whose issues make the error.
  if (channel === 'scan' && scanAccepts(json)) return ok(json as MessageFor<C>);
  const schema: z.ZodType = channel === 'command' ? commandMessageSchema : upMessageSchemas[channel as UpChannel];
  const r = schema.safeParse(json);
  if (r.success) return ok(r.data as MessageFor<C>);
  return err({
    code: 'INVALID_PAYLOAD',
    message: `The ${channel} payload does not match the cradle/v1 contract.`,
    issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

/** The `parsed` part of a scan message, from a successful parseScan result. */
export function scanParsedFields(scan: Scan): ScanMessage['parsed'] {
  const parsed: ScanMessage['parsed'] = { elements: { ...scan.elements } };
  if (scan.gtin !== undefined) parsed.gtin = scan.gtin;
  if (scan.serial !== undefined) parsed.serial = scan.serial;
  if (scan.batch !== undefined) parsed.batch = scan.batch;
  if (scan.expiry !== undefined) parsed.expiry = scan.expiry;
  if (scan.sscc !== undefined) parsed.sscc = scan.sscc;
  if (scan.gln !== undefined) parsed.gln = scan.gln;
  return parsed;
}
