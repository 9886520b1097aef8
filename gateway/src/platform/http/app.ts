import crypto from 'node:crypto';
import type http from 'node:http';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { buildOpenApi } from './openapi';
import { HttpProblem, problemTypes, type ProblemSlug } from './problem';
import { type AnyRoute, type Authenticate, mountRoutes } from './route';

export type ReadinessCheck = () => Promise<void | Record<string, unknown>>;

export interface HttpAppOptions {
  log: Logger;
  metrics: Metrics;
  bodyLimit: string;
  trustProxy: string;
  routes: AnyRoute[];
  authenticate: Authenticate;
  readiness: Record<string, ReadinessCheck>;
  version: string;
  /** Extra middleware mounted before the API routes (e.g. the consumer trace pages). */
  extra?: (app: express.Express) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The gateway's HTTP core: request ids, logs, metrics, JSON limits, problem+json errors, health, OpenAPI, docs. */
export function createHttpApp(opts: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', /^\d+$/.test(opts.trustProxy) ? Number(opts.trustProxy) : opts.trustProxy === 'true' ? true : opts.trustProxy.split(',').map((s) => s.trim()));
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    (req as Request & { id: string }).id = trackRequest(req, res, opts, () => routeLabel(req));
    next();
  });

  // Bodies must be JSON; anything else with a body is refused before it is read.
  app.use((req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !['GET', 'HEAD', 'DELETE'].includes(req.method) && !req.is(['application/json', 'application/*+json'])) {
      next(new HttpProblem('unsupported-media-type', `Content-Type ${req.get('content-type') ?? '(none)'} is not accepted; send application/json`));
      return;
    }
    next();
  });
  app.use(express.json({ limit: opts.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results: Record<string, unknown> = {};
    let ready = true;
    await Promise.all(
      Object.entries(opts.readiness).map(async ([name, check]) => {
        try {
          results[name] = { status: 'up', ...((await withTimeout(check(), 2000)) ?? {}) };
        } catch (err) {
          ready = false;
          results[name] = { status: 'down', error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });

  const openapi = buildOpenApi(opts.routes, {
    title: 'Cradle gateway API',
    version: opts.version,
    description: 'Channel control and traceability. Errors are RFC 9457 problem+json; every route lists who may call it in x-cradle-access.',
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  // The package's directory only: requiring swagger-ui-dist itself runs its browser bundle in Node (~0.3 s and ~40 MB
  // at every start) to hand back the same path.
  app.use('/docs/assets', express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), { index: false, maxAge: '1d' }));
  app.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });
  app.get('/problems/:slug', (req, res, next) => {
    const slug = req.params.slug as ProblemSlug;
    if (!(slug in problemTypes)) return next();
    res.json({ type: `/problems/${slug}`, ...problemTypes[slug] });
  });

  opts.extra?.(app);
  const api = express.Router();
  mountRoutes(api, opts.routes, opts.authenticate);
  app.use(api);

  app.use((req, _res, next) => next(new HttpProblem('not-found', `No route for ${req.method} ${req.path}`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toProblem(err);
    if (problem.status >= 500) opts.log.error({ err, reqId: (req as Request & { id?: string }).id }, 'request failed');
    res.status(problem.status).type('application/problem+json').json(problem.toBody(req.originalUrl, (req as Request & { id?: string }).id));
  });
  return app;
}

function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const e = err as { type?: string; status?: number; message?: string; code?: string };
  // body-parser's errors carry a `type`.
  if (e?.type === 'entity.too.large') return new HttpProblem('payload-too-large', 'The request body is larger than the limit');
  if (e?.type === 'entity.parse.failed') return new HttpProblem('malformed-json', `The body is not valid JSON: ${e.message ?? ''}`.trim());
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new HttpProblem('unsupported-media-type', e.message);
  // PostgreSQL constraint violations that slipped past validation are conflicts, not crashes.
  if (e?.code === '23505') return new HttpProblem('conflict', 'A record with the same unique value already exists');
  if (e?.code === '23503') return new HttpProblem('conflict', 'A referenced record does not exist or is still referenced');
  return new HttpProblem('internal', 'Something went wrong on our side; the request id identifies it in the logs');
}

function routeLabel(req: Request): string {
  const r = (req as Request & { route?: { path?: string } }).route;
  return r?.path ?? 'unmatched';
}

/**
 * Request id (the caller's X-Request-Id when well-formed, else a new one, echoed in the answer), the duration metric
 * and one access-log line when the answer is finished: errors at warn/error, the rest at debug. (pino-http makes a
 * child logger per request, which costs more than the rest of a cached read.) Used by the Express app and by
 * handlers the server runs ahead of it (the consumer resolver). Returns the request id.
 */
export function trackRequest(req: http.IncomingMessage, res: http.ServerResponse, opts: { log: Logger; metrics: Metrics }, route: () => string): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  res.setHeader('x-request-id', id);
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const label = route();
    opts.metrics.httpDuration.observe({ method: req.method ?? 'GET', route: label, status: String(res.statusCode) }, seconds);
    const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
    if (opts.log.isLevelEnabled(level)) {
      opts.log[level]({ reqId: id, method: req.method, url: (req as Partial<Request>).originalUrl ?? req.url, route: label, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    }
  });
  return id;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cradle API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;
