#!/usr/bin/env node
/** `cradle-edge --config <file>`: reads config, starts the agent, stops it gracefully on SIGTERM/SIGINT. */
import pino from 'pino';
import { EdgeAgent } from './agent/agent';
import { ConfigError, loadConfig } from './config/load';

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : undefined;
  if (!file) {
    process.stderr.write('usage: cradle-edge --config <file.yaml|file.json>\n');
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig(file);
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigError ? e.message : (e as Error).message}\n`);
    process.exit(2);
  }
  const log = pino({ level: config.log.level, base: { service: 'edge-agent', siteId: config.siteId, deviceId: config.deviceId } });
  const agent = new EdgeAgent(config, { log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await agent.start();
  log.info({ httpPort: agent.httpPort }, 'edge agent started');
}

void main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`cradle-edge failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
