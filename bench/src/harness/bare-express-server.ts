import path from 'node:path';
import { bundled } from './bundle';
import { GATEWAY_NODE_FLAGS } from './gateway';
import { type RunningServer, startServer } from './server';

/** Starts the bare Express 5 baseline (bare-express.ts) in its own process, serving `bodyBytes` of JSON on `route`. */
export async function startBareExpress(bodyBytes: number, route = '/payload'): Promise<RunningServer> {
  return startServer({
    command: process.execPath,
    // Bundled and started with the same Node flags as the gateway, so loading costs the same on both sides.
    args: [...GATEWAY_NODE_FLAGS, await bundled(path.join(__dirname, 'bare-express.ts'), path.join(__dirname, '..', '..', 'dist'))],
    env: { BODY_BYTES: String(bodyBytes), ROUTE: route, HOST: '127.0.0.1', NODE_ENV: 'production' },
    readyUrl: '/readyz',
    timeoutMs: 30_000,
  });
}
