/** The agent's configuration file (YAML or JSON), parsed once at start-up; everything inside works on these types. */
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only (it goes into MQTT topics)');

const mqtt = z.object({
  /** mqtt://host:1883 or mqtts://host:8883 */
  url: z.string().regex(/^(mqtt|mqtts|tcp|tls|ssl):\/\//, 'mqtt:// or mqtts://'),
  clientId: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Read the password from this file instead (per-device credentials provisioned on the PC). */
  passwordFile: z.string().optional(),
  /** PEM files for TLS: broker CA, and the device's client certificate and key for mutual TLS. */
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  rejectUnauthorized: z.boolean().default(true),
  keepaliveSeconds: z.number().int().min(5).max(600).default(30),
  reconnectMs: z.number().int().min(100).max(60_000).default(1000),
});

const fsync = z.discriminatedUnion('mode', [
  /** fsync after every record: a read is on disk before anything else happens to it. */
  z.object({ mode: z.literal('safe') }),
  /** group commit: one fsync per `intervalMs` or per `maxRecords`, whichever comes first. */
  z.object({
    mode: z.literal('batched'),
    intervalMs: z.number().int().min(1).max(1000).default(10),
    maxRecords: z.number().int().min(1).max(100_000).default(256),
  }),
]);

const outbox = z.object({
  dir: z.string(),
  fsync: fsync.default({ mode: 'safe' }),
  maxBytes: z.number().int().min(64 * 1024).default(256 * 1024 * 1024),
  segmentBytes: z.number().int().min(4096).optional(),
  overflow: z.enum(['reject-new', 'drop-oldest']).default('reject-new'),
  replayPerSecond: z.number().int().min(1).default(500),
  inflight: z.number().int().min(1).max(65_535).default(64),
});

const terminator = z.enum(['CR', 'LF', 'CRLF', 'none']);

const scanner = z.object({
  id,
  port: z.string(),
  /** Reads from scanners of one line share that line's order/pallet context. */
  line: id.default('default'),
  /** A context scanner's SSCC reads open a pallet context; an item scanner's are case reads. */
  role: z.enum(['item', 'context']).default('item'),
  baudRate: z.number().int().positive().default(9600),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
  terminator: terminator.default('CR'),
  /** With terminator none, a read ends after this much silence on the line. */
  interByteTimeoutMs: z.number().int().min(1).max(5000).default(50),
  /** Stripped when present; JSON-style escapes allowed, e.g. "\u0002". */
  prefix: z.string().default(''),
  suffix: z.string().default(''),
  noRead: z.array(z.string()).default(['NOREAD', 'NR']),
  repeatWindowMs: z.number().int().min(0).default(500),
  reconnect: z
    .object({ initialMs: z.number().int().min(10).default(250), maxMs: z.number().int().min(10).default(5000) })
    .default({ initialMs: 250, maxMs: 5000 }),
});

const context = z.object({
  /** A read matching this pattern is a dispatch-order barcode: it opens that order on the scanner's line. */
  orderPattern: z.string().default('^ORD-[A-Z0-9-]{1,32}$'),
  /** A read equal to one of these closes the innermost open context (pallet, else order) on the line. */
  closeCodes: z.array(z.string()).default(['CLOSE']),
});

const limits = z.object({ min: z.number().optional(), max: z.number().optional() });

const monitoredItem = z.object({
  nodeId: z.string(),
  name: z.string().min(1),
  unit: z.string(),
  samplingIntervalMs: z.number().min(0).default(500),
  queueSize: z.number().int().min(1).default(10),
  deadband: z.object({ type: z.enum(['absolute', 'percent']), value: z.number().min(0) }).optional(),
  limits: limits.optional(),
  /** Check limits only while another item of this endpoint is above a value (e.g. while hold time > 0, so the
   *  heat-up ramp of every cycle is not flagged as under-temperature). */
  limitsWhile: z.object({ name: z.string(), above: z.number() }).optional(),
});

const opcua = z.object({
  id,
  endpoint: z.string().regex(/^opc\.tcp:\/\//),
  securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
  securityPolicy: z.enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).default('None'),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Where the client keeps its certificates (needed for Sign / SignAndEncrypt). */
  pkiDir: z.string().optional(),
  line: id.default('default'),
  /** GTIN made on this line, for batch_started / batch_completed production events. */
  gtin: z.string().regex(/^\d{14}$/).optional(),
  /** PLC node holding the current batch; without it the batch comes by set_batch command. */
  batchNodeId: z.string().optional(),
  publishingIntervalMs: z.number().min(10).default(500),
  reconnect: z
    .object({ initialMs: z.number().int().min(10).default(500), maxMs: z.number().int().min(10).default(10_000) })
    .default({ initialMs: 500, maxMs: 10_000 }),
  items: z.array(monitoredItem).min(1),
});

export const agentConfigSchema = z
  .object({
    siteId: id,
    deviceId: id,
    mqtt,
    outbox,
    http: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(9464) })
      .default({ host: '127.0.0.1', port: 9464 }),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).default({ level: 'info' }),
    context: context.default({ orderPattern: '^ORD-[A-Z0-9-]{1,32}$', closeCodes: ['CLOSE'] }),
    scanners: z.array(scanner).default([]),
    opcua: z.array(opcua).default([]),
  })
  .superRefine((c, ctx) => {
    const ids = [...c.scanners.map((s) => s.id), ...c.opcua.map((o) => o.id)];
    const dup = ids.find((x, i) => ids.indexOf(x) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `duplicate source id ${dup}`, path: ['scanners'] });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type ScannerConfig = z.infer<typeof scanner>;
export type OpcuaConfig = z.infer<typeof opcua>;
export type MqttConfig = z.infer<typeof mqtt>;
export type OutboxConfig = z.infer<typeof outbox>;
export type ContextConfig = z.infer<typeof context>;
