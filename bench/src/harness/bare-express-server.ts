import path from 'node:path';
import { type RunningServer, startServer } from './server';

/** Starts the bare Express 5 baseline (bare-express.ts) in its own process, serving `bodyBytes` of JSON on `route`. */
export function startBareExpress(bodyBytes: number, route = '/payload'): Promise<RunningServer> {
  return startServer({
    command: process.execPath,
    // The same Node flags as the gateway, so the loader costs the same on both sides.
    args: ['--import', 'tsx', path.join(__dirname, 'bare-express.ts')],
    env: { BODY_BYTES: String(bodyBytes), ROUTE: route, HOST: '127.0.0.1', NODE_ENV: 'production' },
    readyUrl: '/readyz',
    timeoutMs: 30_000,
  });
}
