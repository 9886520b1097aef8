/**
 * The baseline: a bare Express 5 server with one JSON route and nothing else (no auth, no database, no logging),
 * run as its own process, bundled and with the same Node flags as the gateway. What the gateway adds is measured
 * against it.
 *
 * env: PORT (required), HOST (default 127.0.0.1), BODY_BYTES (default 4096), ROUTE (default /payload).
 * GET /readyz answers 200 once listening.
 */
import express from 'express';
import { jsonBodyOfSize } from './json-body';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('bare-express: PORT must be set to a port number\n');
  process.exit(2);
}
const host = process.env.HOST ?? '127.0.0.1';
const bodyBytes = Number(process.env.BODY_BYTES ?? 4096);
const route = process.env.ROUTE ?? '/payload';
const body = jsonBodyOfSize(bodyBytes);

const app = express();
app.disable('x-powered-by');
// res.json serialises per request, as a real handler does; the payload is not pre-rendered.
app.get(route, (_req, res) => {
  res.json(body);
});
// The same answer to a JSON POST, parsed as Express parses it: the baseline for write endpoints.
app.post(route, express.json({ limit: '1mb' }), (_req, res) => {
  res.status(201).json(body);
});
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});

const server = app.listen(port, host);
server.on('error', (err) => {
  process.stderr.write(`bare-express: ${err.message}\n`);
  process.exit(1);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
