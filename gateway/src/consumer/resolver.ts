import { parseDigitalLink } from '@cradle/protocol';
import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../platform/logging';
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

function linkTypeOf(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  return v.startsWith(GS1_VOC) ? `gs1:${v.slice(GS1_VOC.length)}` : v;
}

function langOf(req: Request): Lang {
  const q = req.query.lang;
  if (q === 'en' || q === 'zh') return q;
  const al = (req.get('accept-language') ?? '').toLowerCase();
  // Chinese unless English comes first: the consumers are in China; the page switches either way.
  return al.startsWith('en') ? 'en' : 'zh';
}

const wantsJson = (req: Request) => {
  const accept = req.get('accept') ?? '';
  return /application\/(ld\+)?json/.test(accept) && !/text\/html/.test(accept);
};

const locateBody = z.strictObject({ queryId: z.uuid(), lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });

/**
 * GS1 Digital Link resolver and consumer trace page: /01/{gtin}[/10/{batch}]/21/{serial}. linkType selects the
 * answer (gs1:pip the page, gs1:traceability the JSON, all the link set); Accept: application/json gives the JSON;
 * an unknown or forged code gets a 404 page saying it is not genuine. Mounted through createHttpApp's `extra` hook.
 */
export function mountResolver(app: Express, deps: { lookup: TraceLookup; batches: BatchService; log: Logger; onConsumerQuery?: (q: { queryId: string; gtin: string; serial: string; batch: string | null }) => Promise<void> }): void {
  const { lookup } = deps;

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
      const done = await lookup.locate(body.data.queryId, body.data.lat, body.data.lng);
      res.status(done ? 204 : 404).end();
    } catch (err) {
      next(err);
    }
  });

  app.use(async (req: Request, res: Response, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !/^\/(01|gtin)\//.test(req.path)) return next();
    try {
      await resolve(req, res);
    } catch (err) {
      next(err);
    }
  });

  async function resolve(req: Request, res: Response) {
    const lang = langOf(req);
    const here = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    const switchHref = `${req.path}?lang=${lang === 'zh' ? 'en' : 'zh'}`;
    const linkType = linkTypeOf(req.query.linkType);
    const json = wantsJson(req) || linkType === LINK_TYPES.traceability;
    res.setHeader('vary', 'Accept, Accept-Language');
    const refuse = (status: number, reason: 'not_issued' | 'not_activated' | 'batch_mismatch' | 'bad_link', detail: string | null) => {
      res.status(status);
      if (json) {
        res.type('application/problem+json').json({ type: `/problems/${status === 404 ? 'not-found' : 'validation-failed'}`, title: reason === 'bad_link' ? 'Not a valid GS1 Digital Link' : 'This code is not genuine', status, detail: detail ?? reason, reason });
      } else {
        res.type('html').send(notGenuinePage(lang, reason, detail, switchHref));
      }
    };
    const dl = parseDigitalLink(`${here}${req.originalUrl}`);
    if (!dl.ok) return refuse(400, 'bad_link', dl.error.message);
    const e = dl.value.elements;
    const gtin = e['01'];
    const serial = e['21'];
    if (!gtin || !serial) return refuse(404, 'not_issued', lang === 'zh' ? '链接里没有序列号（21），无法验证单罐产品。' : 'The link carries no serial (21), so no single can can be verified.');
    const canonicalPath = `/01/${gtin}${e['10'] ? `/10/${encodeURIComponent(e['10'])}` : ''}/21/${encodeURIComponent(serial)}`;
    res.setHeader('link', `<${canonicalPath}?linkType=all>; rel="linkset"; type="application/linkset+json"`);

    if (linkType === LINK_TYPES.all) {
      const anchor = `${here}${canonicalPath}`;
      res.type('application/linkset+json').json({
        linkset: [
          {
            anchor,
            [`${GS1_VOC}pip`]: [{ href: `${anchor}?linkType=gs1:pip`, title: '产品溯源 Product trace', type: 'text/html', hreflang: ['zh', 'en'] }],
            [`${GS1_VOC}traceability`]: [{ href: `${anchor}?linkType=gs1:traceability`, title: 'Trace (JSON)', type: 'application/json' }],
            [`${GS1_VOC}defaultLink`]: [{ href: `${anchor}?linkType=gs1:pip`, title: '产品溯源 Product trace', type: 'text/html' }],
          },
        ],
      });
      return;
    }
    const result = await lookup.lookup(gtin, serial, e['10'] ?? null, { ip: req.ip ?? '', userAgent: req.get('user-agent') ?? '' });
    if (!result.found) {
      const detail = result.reason === 'batch_mismatch' ? (lang === 'zh' ? '链接上的批号与该码的批号不符。' : 'The batch in the link does not match this code.') : null;
      return refuse(404, result.reason, detail);
    }
    if (deps.onConsumerQuery && result.trace.queryId) {
      deps.onConsumerQuery({ queryId: result.trace.queryId, gtin, serial, batch: result.trace.code.batch }).catch((err: unknown) => deps.log.warn({ err }, 'consumer query hook failed'));
    }
    res.setHeader('cache-control', 'no-store');
    if (json) {
      // Mostly pre-serialised per code (see trace.ts); no ETag: the body carries this query's id and is not stored.
      const body = result.json();
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('content-length', Buffer.byteLength(body));
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.type('html').send(tracePage(result.trace, lang, { switchLang: `${canonicalPath}?lang=${lang === 'zh' ? 'en' : 'zh'}`, qc: (id) => `/trace/qc/${id}`, locate: '/trace/location' }));
  }
}
