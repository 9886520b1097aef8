import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceRoutes } from './devices/routes';
import { createApiKeyVerifier } from './identity/api-keys';
import { hashPassword, verifyPassword } from './identity/passwords';
import { createAuthenticator, identityRoutes } from './identity/routes';
import { createTokenIssuer } from './identity/tokens';
import { memberRoutes } from './members/routes';
import { partiesRoutes } from './parties/routes';
import { createPartyVisibility } from './parties/visibility';
import type { Config } from './platform/config';
import { type DatabaseHandle, openDatabase } from './platform/db';
import { createHttpApp } from './platform/http/app';
import { createJobRunner } from './platform/jobs';
import type { Logger } from './platform/logging';
import { createMetrics } from './platform/metrics';
import { type EmbeddedBroker, startEmbeddedBroker } from './platform/mqtt/broker';
import { jwtSecret } from './platform/secrets';
import { importRegions } from './regions/catalogue';
import { regionRoutes } from './regions/routes';
import { createRegionService } from './regions/service';
import { skuRoutes } from './skus/routes';
import { seedDemoData } from './demo/seed';
import { type Ingest, startIngest } from './ingest/consumer';
import { ingestSettings } from './ingest/settings';
import { traceRoutes } from './trace/routes';
import { createCaptureService } from './epcis/capture';
import { epcisRoutes } from './epcis/routes';
import { batchRoutes } from './batches/routes';
import { createBatchService } from './batches/service';
import { codeRoutes } from './codes/routes';
import { createDigitalLinkResolver, mountConsumerRoutes } from './consumer/resolver';
import { createTraceLookup } from './consumer/trace';
import { startStockArea } from './stock/area';
import { authorisationRoutes } from './authorisations/routes';
import { createAuthorisationService } from './authorisations/service';
import { pricingRoutes } from './pricing/routes';
import { createAlertService } from './diversion/alerts';
import { createDiversionEngine } from './diversion/engine';
import { diversionRoutes } from './diversion/routes';
import { createRulesStore } from './diversion/rules';
import { createScanLocator } from './diversion/scan';
import { alertWebhookJob, createAlertNotifier } from './diversion/webhooks';
import { diversionFeedJob } from './diversion/feed';
import { createDiversionFeed } from './trace/diversion-feed';
import { createCountyLocator } from './geo/locate';
import { geoRoutes } from './geo/routes';
import { interceptionRoutes } from './interception/routes';
import { createInterceptionService } from './interception/service';
import { createPricingService } from './pricing/service';
import { startOrdersArea } from './orders/area';

export const VERSION = '0.1.0';

export interface Gateway {
  url: string;
  mqttUrl: string;
  database: DatabaseHandle;
  broker: EmbeddedBroker | null;
  demo: { seeded: boolean; counts: Record<string, number> } | null;
  /** The MQTT ingest (scans, readings, production records, status), acknowledging after commit. */
  ingest: Ingest;
  close(): Promise<void>;
}

/**
 * Composition root: builds every dependency from configuration, mounts the areas, starts listening.
 * Embedded (no DATABASE_URL / MQTT_URL / REDIS_URL): PGlite, aedes, in-process jobs, one process.
 */
export async function startGateway(config: Config, log: Logger): Promise<Gateway> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'error while closing'));
  };
  try {
    const database = await openDatabase({
      url: config.database.url,
      dataDir: config.database.url ? undefined : config.dataDir,
      schema: config.database.schema,
      poolSize: config.database.poolSize,
    });
    closers.push(() => database.close());
    const { db } = database;
    log.info({ driver: database.driver }, 'database ready');

    const imported = await importRegions(db);
    if (imported > 0) log.info({ regions: imported }, 'GB/T 2260 regions imported');
    let demo: Gateway['demo'] = null;
    if (config.demo.enabled) {
      demo = await seedDemoData(db, { password: config.demo.password, hashPassword, log });
    }

    const metrics = createMetrics();
    const jobs = createJobRunner({ redisUrl: config.redis.url, prefix: config.redis.prefix, workers: config.role !== 'api', registry: metrics.registry }, log);
    await jobs.start();
    closers.push(() => jobs.close());

    let broker: EmbeddedBroker | null = null;
    let mqttUrl = config.mqtt.url;
    let mqttAuth = { username: config.mqtt.username, password: config.mqtt.password };
    if (!mqttUrl) {
      broker = await startEmbeddedBroker({
        port: config.mqtt.port,
        log,
        async authenticateDevice(username, password) {
          const row = await db
            .selectFrom('devices')
            .innerJoin('parties', 'parties.id', 'devices.site_id')
            .select(['devices.code', 'devices.mqtt_password_hash', 'devices.status', 'parties.code as site_code'])
            .where('devices.mqtt_username', '=', username)
            .executeTakeFirst();
          if (!row?.mqtt_password_hash || row.status !== 'active') return null;
          return (await verifyPassword(row.mqtt_password_hash, password)) ? { deviceCode: row.code, siteCode: row.site_code } : null;
        },
      });
      closers.push(() => broker!.close());
      mqttUrl = `mqtt://127.0.0.1:${broker.port}`;
      mqttAuth = broker.internal;
    }
    const client: MqttClient = await mqtt.connectAsync(mqttUrl, {
      clientId: `cradle-gateway-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      ...(mqttAuth.username ? { username: mqttAuth.username, password: mqttAuth.password } : {}),
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    closers.push(() => client.endAsync(true));
    // Its own client: a persistent session whose acknowledgements wait for the commit (ingest/consumer.ts).
    const ingest = await startIngest({ db, log, mqttUrl, auth: mqttAuth, protocolVersion: broker ? 4 : 5, ...ingestSettings(process.env, config.database), registry: metrics.registry });
    closers.push(() => ingest.close());

    const regions = await createRegionService(db);
    const visibility = createPartyVisibility(db);
    const capture = createCaptureService({ db, log });
    await capture.resumeCaptureJobs();
    const batches = createBatchService({ db });
    const authorisations = createAuthorisationService({ db, regions });
    const pricing = createPricingService({ db, regions });
    // Region control: diversion and clone alerts (engine + workflow + webhooks), cross-region holds, geo lookup.
    const counties = createCountyLocator(regions);
    const diversionRules = createRulesStore(db);
    jobs.register(alertWebhookJob({ db }));
    const notifyAlert = createAlertNotifier({ db, jobs });
    const alerts = createAlertService({ db, notify: notifyAlert });
    const diversion = createDiversionEngine({ db, regions, authorisations, counties, rules: diversionRules, scans: createScanLocator(db, counties), onOpened: (id, kind) => notifyAlert(id, kind, 'opened') });
    // The trace core's committed downstream scans (MQTT, EPCIS capture, consumer page) judged within a poll (200 ms).
    jobs.register(diversionFeedJob({ db, engine: diversion, feed: createDiversionFeed(db) }).job);
    const interception = createInterceptionService({ db, regions, authorisations });
    const tokens = createTokenIssuer(jwtSecret(config, log), config.auth.jwtTtlSeconds);
    const identity = { db, tokens, loginRateLimit: config.auth.loginRateLimit, apiKeys: createApiKeyVerifier(db) };
    // Stock ledger, expiry warnings and the WMS/ERP/MES connectors (registers its jobs on `jobs`).
    const stockArea = await startStockArea({ db, jobs, metrics, visibility, authenticate: createAuthenticator(identity), log });
    closers.push(() => stockArea.close());
    // Ordering: priced, credit-checked orders with atomic reservations, cross-region holds and order webhooks.
    const ordersArea = startOrdersArea({
      db, jobs, stock: stockArea.stock, pricing, interception, log,
      createWmsTask: stockArea.createDispatchTask,
      // Commands down to edge agents (set_order on cradle/v1/{site}/{device}/command) go out on the gateway's client.
      publish: async (topic, payload) => {
        await client.publishAsync(topic, payload, { qos: 1 });
      },
    });
    // A worker process serves health, readiness and metrics only.
    const routes = config.role === 'worker' ? [] : [
      ...identityRoutes(identity),
      ...regionRoutes(regions),
      ...skuRoutes({ db }),
      ...partiesRoutes({ db, regions, visibility }),
      ...deviceRoutes({ db }),
      ...memberRoutes({ db }),
      ...traceRoutes({ db }),
      ...epcisRoutes({ db, capture, visibility }),
      ...codeRoutes({ db, publicUrl: config.http.publicUrl }),
      ...batchRoutes({ db, batches }),
      ...authorisationRoutes({ authorisations, visibility }),
      ...pricingRoutes({ pricing }),
      ...diversionRoutes({ db, engine: diversion, alerts, rules: diversionRules, regions }),
      ...interceptionRoutes({ interception, visibility }),
      ...geoRoutes({ locator: counties, regions }),
      ...stockArea.routes,
      ...ordersArea.routes,
    ];
    const traceLookup = createTraceLookup({ db });
    const app = createHttpApp({
      log,
      metrics,
      bodyLimit: config.http.bodyLimit,
      trustProxy: config.http.trustProxy,
      routes,
      authenticate: createAuthenticator(identity),
      version: VERSION,
      readiness: {
        database: async () => {
          await database.ping();
          return { driver: database.driver };
        },
        broker: async () => {
          if (!client.connected) throw new Error(`not connected to ${mqttUrl}`);
          return { url: mqttUrl, embedded: broker !== null };
        },
        jobs: async () => ({ driver: config.redis.url ? 'bullmq' : 'in-process' }),
        ...stockArea.readiness,
      },
      extra: (app) => {
        stockArea.mount(app);
        mountConsumerRoutes(app, { lookup: traceLookup, batches });
      },
    });
    // The consumer trace page and GS1 Digital Link resolver (/01/{gtin}/10/{batch}/21/{serial}), every consumer's
    // scan, is answered ahead of the Express app, on node:http (see consumer/resolver.ts); the rest goes to the app.
    const resolver = createDigitalLinkResolver({ lookup: traceLookup, log, metrics, trustProxy: app.get('trust proxy fn') });
    const server: http.Server = await new Promise((resolve, reject) => {
      const s = http.createServer((req, res) => (resolver.matches(req) ? resolver.handle(req, res) : app(req, res)));
      s.once('error', reject);
      s.listen(config.http.port, config.http.host, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
    server.keepAliveTimeout = 65_000;
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const url = config.http.publicUrl ?? `http://localhost:${port}`;
    return { url, mqttUrl, database, broker, demo, ingest, close };
  } catch (err) {
    await close();
    throw err;
  }
}
