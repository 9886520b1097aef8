import type http from 'node:http';
import { parseDigitalLink } from '@cradle/protocol';
import express, { type Express } from 'express';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import type { Logger } from '../platform/logging';
import type { Metrics } from '../platform/metrics';
import { trackRequest } from '../platform/http/app';
import { HttpProblem } from '../platform/http/problem';
import type { BatchService } from '../batches/service';
import { type Lang, notGenuinePage, tracePage } from './page';
import type { TraceLookup } from './trace';

const GS1_VOC = 'https://gs1.org/voc/';
/** linkType values we answer (GS1 Web Vocabulary; the gs1: CURIE and the full URI are the same). */
const LINK_TYPES = {
  pip: 'gs1:pip',
  traceability: 'gs1:traceability',
  epcis: 'gs1:epcis',
  all: 'all',
} as const;

function linkTypeOf(v: string | null): string | null {
  if (v === null || v === '') return null;
  return v.startsWith(GS1_VOC) ? `gs1:${v.slice(GS1_VOC.length)}` : v;
}

function langOf(query: URLSearchParams, acceptLanguage: string | undefined): Lang {
  const q = query.get('lang');
  if (q === 'en' || q === 'zh') return q;
  // Chinese unless English comes first: the consumers are in China; the page switches either way.
  return (acceptLanguage ?? '').toLowerCase().startsWith('en') ? 'en' : 'zh';
}

const wantsJson = (accept: string | undefined) => /application\/(ld\+)?json/.test(accept ?? '') && !/text\/html/.test(accept ?? '');

/** The first value of a forwarded header (a proxy chain lists several, comma-separated). */
const firstOf = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || undefined;

const locateBody = z.strictObject({ queryId: z.uuid(), lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });

type TrustProxy = (addr: string, i: number) => boolean;

/** The consumer pages' routes that stay on Express: the QC report files and the consumer's location. */
export function mountConsumerRoutes(app: Express, deps: { lookup: TraceLookup; batches: BatchService }): void {
  app.get('/trace/qc/:id', async (req, res, next) => {
    try {
      if (!z.uuid().safeParse(req.params.id).success) return void res.status(404).type('text/plain').send('not found');
      const f = await deps.batches.qcFile(req.params.id);
      if (!f) return void res.status(404).type('text/plain').send('not found');
      res.type(f.content_type).setHeader('cache-control', 'public, max-age=86400, immutable');
      res.setHeader('content-disposition', `inline; filename="${encodeURIComponent(f.file_name)}"`);
      res.send(f.content);
    } catch (err) {
      next(err);
    }
  });

  app.post('/trace/location', express.json({ limit: '1kb' }), async (req, res, next) => {
    try {
      const body = locateBody.safeParse(req.body);
      if (!body.success) {
        return void res.status(400).type('application/problem+json').json({ type: '/problems/validation-failed', title: 'The request is not valid', status: 400, detail: body.error.issues.map((i) => `body.${i.path.join('.')}: ${i.message}`).join('; ') });
      }
      const done = await deps.lookup.locate(body.data.queryId, body.data.lat, body.data.lng);
      res.status(done ? 204 : 404).end();
    } catch (err) {
      next(err);
    }
  });
}

export interface DigitalLinkResolver {
  /** Whether this request is a Digital Link the resolver answers (GET/HEAD of /01/… or /gtin/…). */
  matches(req: http.IncomingMessage): boolean;
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
}

/**
 * GS1 Digital Link resolver and consumer trace page: /01/{gtin}[/10/{batch}]/21/{serial}. linkType selects the
 * answer (gs1:pip the page, gs1:traceability the JSON, all the link set); Accept: application/json gives the JSON;
 * an unknown or forged code gets a 404 page saying it is not genuine.
 *
 * Written on node:http and run by the server ahead of the Express app (gateway.ts): every consumer scan lands
 * here, and Express's per-request work (request/response prototypes, the router's layers, query parsing, body
 * parsers) cost more CPU than the rest of a cached lookup. It keeps what the app gives every request: the request
 * id, the duration metric and the access log (`trackRequest`), `trust proxy` for the client address, protocol and
 * host, and problem+json for failures.
 */
export function createDigitalLinkResolver(deps: {
  lookup: TraceLookup;
  log: Logger;
  metrics: Metrics;
  /** Express's compiled `trust proxy fn` (app.get('trust proxy fn')), so both agree on which proxies to believe. */
  trustProxy: TrustProxy;
  onConsumerQuery?: (q: { queryId: string; gtin: string; serial: string; batch: string | null }) => Promise<void>;
}): DigitalLinkResolver {
  const { lookup, trustProxy } = deps;

  function send(req: http.IncomingMessage, res: http.ServerResponse, status: number, type: string, body: string): void {
    res.statusCode = status;
    res.setHeader('content-type', type);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** As Express's req.protocol and req.host: X-Forwarded-* only from a trusted proxy. */
  function origin(req: http.IncomingMessage): string {
    const socket = req.socket as http.IncomingMessage['socket'] & { encrypted?: boolean };
    let proto = socket.encrypted ? 'https' : 'http';
    let host = req.headers.host ?? 'localhost';
    if (trustProxy(socket.remoteAddress ?? '', 0)) {
      proto = firstOf(req.headers['x-forwarded-proto']) ?? proto;
      host = firstOf(req.headers['x-forwarded-host']) ?? host;
    }
    return `${proto}://${host}`;
  }

  async function resolve(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const lang = langOf(query, req.headers['accept-language']);
    const here = origin(req);
    const switchHref = `${pathname}?lang=${lang === 'zh' ? 'en' : 'zh'}`;
    const linkType = linkTypeOf(query.get('linkType'));
    const json = wantsJson(req.headers.accept) || linkType === LINK_TYPES.traceability;
    res.setHeader('vary', 'Accept, Accept-Language');
    const refuse = (status: number, reason: 'not_issued' | 'not_activated' | 'batch_mismatch' | 'bad_link', detail: string | null) => {
      if (json) {
        const body = { type: `/problems/${status === 404 ? 'not-found' : 'validation-failed'}`, title: reason === 'bad_link' ? 'Not a valid GS1 Digital Link' : 'This code is not genuine', status, detail: detail ?? reason, reason, instance: url, requestId };
        send(req, res, status, 'application/problem+json; charset=utf-8', JSON.stringify(body));
      } else {
        send(req, res, status, 'text/html; charset=utf-8', notGenuinePage(lang, reason, detail, switchHref));
      }
    };
    const dl = parseDigitalLink(`${here}${url}`);
    if (!dl.ok) return refuse(400, 'bad_link', dl.error.message);
    const e = dl.value.elements;
    const gtin = e['01'];
    const serial = e['21'];
    if (!gtin || !serial) return refuse(404, 'not_issued', lang === 'zh' ? '链接里没有序列号（21），无法验证单罐产品。' : 'The link carries no serial (21), so no single can can be verified.');
    const canonicalPath = `/01/${gtin}${e['10'] ? `/10/${encodeURIComponent(e['10'])}` : ''}/21/${encodeURIComponent(serial)}`;
    res.setHeader('link', `<${canonicalPath}?linkType=all>; rel="linkset"; type="application/linkset+json"`);

    if (linkType === LINK_TYPES.all) {
      const anchor = `${here}${canonicalPath}`;
      const linkset = {
        linkset: [
          {
            anchor,
            [`${GS1_VOC}pip`]: [{ href: `${anchor}?linkType=gs1:pip`, title: '产品溯源 Product trace', type: 'text/html', hreflang: ['zh', 'en'] }],
            [`${GS1_VOC}traceability`]: [{ href: `${anchor}?linkType=gs1:traceability`, title: 'Trace (JSON)', type: 'application/json' }],
            [`${GS1_VOC}defaultLink`]: [{ href: `${anchor}?linkType=gs1:pip`, title: '产品溯源 Product trace', type: 'text/html' }],
          },
        ],
      };
      return send(req, res, 200, 'application/linkset+json; charset=utf-8', JSON.stringify(linkset));
    }
    const ip = proxyaddr(req, trustProxy);
    const result = await lookup.lookup(gtin, serial, e['10'] ?? null, { ip, userAgent: req.headers['user-agent'] ?? '' });
    if (!result.found) {
      const detail = result.reason === 'batch_mismatch' ? (lang === 'zh' ? '链接上的批号与该码的批号不符。' : 'The batch in the link does not match this code.') : null;
      return refuse(404, result.reason, detail);
    }
    if (deps.onConsumerQuery && result.trace.queryId) {
      deps.onConsumerQuery({ queryId: result.trace.queryId, gtin, serial, batch: result.trace.code.batch }).catch((err: unknown) => deps.log.warn({ err }, 'consumer query hook failed'));
    }
    res.setHeader('cache-control', 'no-store');
    // The JSON is mostly pre-serialised per code (see trace.ts); no ETag: the body carries this query's id.
    if (json) return send(req, res, 200, 'application/json; charset=utf-8', result.json());
    send(req, res, 200, 'text/html; charset=utf-8', tracePage(result.trace, lang, { switchLang: `${canonicalPath}?lang=${lang === 'zh' ? 'en' : 'zh'}`, qc: (id) => `/trace/qc/${id}`, locate: '/trace/location' }));
  }

  return {
    matches: (req) => (req.method === 'GET' || req.method === 'HEAD') && /^\/(01|gtin)\//.test(req.url ?? ''),
    handle(req, res) {
      const requestId = trackRequest(req, res, deps, () => '/01/*');
      resolve(req, res, requestId).catch((err: unknown) => {
        deps.log.error({ err, reqId: requestId }, 'request failed');
        if (res.headersSent) return void res.destroy();
        const problem = new HttpProblem('internal', 'Something went wrong on our side; the request id identifies it in the logs');
        send(req, res, problem.status, 'application/problem+json; charset=utf-8', JSON.stringify(problem.toBody(req.url, requestId)));
      });
    },
  };
}
