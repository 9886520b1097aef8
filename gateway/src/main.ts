import { ConfigError, loadConfig } from './platform/config';
import { createLogger } from './platform/logging';
import { BrokerPortInUseError } from './platform/mqtt/broker';
import { startGateway } from './gateway';
import { DEMO_ACCOUNTS } from './demo/network';

/** Process entry: read config, start the gateway, say where it is, stop cleanly on a signal. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let gateway;
  try {
    gateway = await startGateway(config, log);
  } catch (err) {
    if (err instanceof BrokerPortInUseError) {
      process.stderr.write(`\n${err.message}\n\n`);
      process.exit(3);
    }
    throw err;
  }
  const lines = [
    '',
    `Cradle gateway ${gateway.database.driver === 'pglite' ? '(embedded)' : ''} is up`,
    `  API          ${gateway.url}/api/v1`,
    `  API docs     ${gateway.url}/docs   (OpenAPI: ${gateway.url}/openapi.json)`,
    `  health       ${gateway.url}/healthz   ready: ${gateway.url}/readyz   metrics: ${gateway.url}/metrics`,
    `  MQTT broker  ${gateway.mqttUrl}${gateway.broker ? ' (embedded)' : ''}`,
    `  database     ${gateway.database.driver === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
  ];
  if (config.demo.enabled) {
    lines.push(
      '',
      '  DEMO MODE: demo data and demo accounts. NOT FOR PRODUCTION.',
      `  Demo accounts (password from CRADLE_DEMO_PASSWORD${process.env.CRADLE_DEMO_PASSWORD ? '' : `, default "${config.demo.password}"`}):`,
      `    ${DEMO_ACCOUNTS.hq.padEnd(14)} HQ: everything`,
      `    ${DEMO_ACCOUNTS.dealer.padEnd(14)} a first-tier dealer: its region and its downstream`,
      `    ${DEMO_ACCOUNTS.store.padEnd(14)} a store: its own store and members`,
    );
    if (gateway.demo?.seeded) lines.push(`  Seeded: ${Object.entries(gateway.demo.counts).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Cradle failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
