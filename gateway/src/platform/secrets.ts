import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import type { Logger } from './logging';

/**
 * The JWT signing secret: JWT_SECRET when set (required for several replicas, which must share it);
 * otherwise, embedded, a random secret kept in DATA_DIR (mode 0600) so tokens survive a restart.
 */
export function jwtSecret(config: Config, log: Logger): Uint8Array {
  if (config.auth.jwtSecret) return new TextEncoder().encode(config.auth.jwtSecret);
  if (config.database.url) {
    if (config.env === 'production') throw new Error('JWT_SECRET must be set when DATABASE_URL is (replicas must share one signing secret)');
    log.warn('JWT_SECRET is not set: using a random secret for this process only; set it before running more than one gateway');
    return crypto.randomBytes(32);
  }
  const file = path.join(config.dataDir, 'jwt-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
}
