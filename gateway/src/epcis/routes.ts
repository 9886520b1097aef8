import { EPCIS_CONTEXT } from '@cradle/protocol';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { conflict, HttpProblem, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute, type Principal } from '../platform/http/route';
import type { PartyVisibility } from '../parties/visibility';
import { traceChanged } from '../trace/changes';
import { recordEvents } from '../trace/record';
import type { CaptureService } from './capture';
import { checkGs1Schema } from './gs1-schema';
import { eventQueries, QUERY_CONTEXT, queryDocument } from './query';

/** Events in one capture document; larger documents are refused with 413 (split them). */
export const MAX_CAPTURE_EVENTS = 10_000;

const read = { roles: ['hq', 'dealer', 'store'], scope: 'trace:read' } as const;
const write = { roles: ['hq'], scope: 'trace:write' } as const;
const jsonObject = z.record(z.string(), z.unknown());

function schemaProblem(issues: { path: string; message: string }[], prefix = 'body'): HttpProblem {
  const errors = issues.map((i) => ({ field: `${prefix}${i.path === '/' ? '' : i.path.replace(/\//g, '.')}`, message: i.message }));
  return new HttpProblem('validation-failed', `Not valid EPCIS 2.0 (GS1 JSON schema): ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
}

/** Which parties' goods a caller may see events about; null = everything (HQ). */
async function visibleTo(principal: Principal, visibility: PartyVisibility): Promise<Set<string> | null> {
  if (principal.role === 'hq') return null;
  if (!principal.partyId) return new Set();
  // A dealer: goods shipped to it or its downstream. A store: goods it holds or that were shipped to it.
  return principal.role === 'dealer' ? visibility.visibleParties(principal) : new Set([principal.partyId]);
}

/** The EPCIS 2.0 REST interface under /epcis (capture, single-event capture, query). */
export function epcisRoutes(deps: { db: Db; capture: CaptureService; visibility: PartyVisibility }): AnyRoute[] {
  const { db, capture, visibility } = deps;
  const queryEvents = eventQueries(db);
  return [
    defineRoute({
      method: 'post',
      path: '/epcis/capture',
      summary: 'Capture an EPCISDocument asynchronously (validated against the GS1 JSON schema; all or nothing); answers 202 with the capture job',
      tags: ['epcis'],
      access: write,
      body: jsonObject,
      status: 202,
      async handler({ body, principal, res }) {
        const events = (body.epcisBody as { eventList?: unknown } | undefined)?.eventList;
        if (Array.isArray(events) && events.length > MAX_CAPTURE_EVENTS) {
          throw new HttpProblem('payload-too-large', `The document holds ${events.length} events; at most ${MAX_CAPTURE_EVENTS} per capture`);
        }
        if (body.type !== 'EPCISDocument') throw new HttpProblem('validation-failed', 'body.type: must be EPCISDocument', { errors: [{ field: 'body.type', message: 'must be EPCISDocument' }] });
        const issues = checkGs1Schema(body);
        if (issues.length) throw schemaProblem(issues);
        const id = await capture.submit(body, principal.name);
        res.setHeader('location', `/epcis/capture/${id}`);
        res.setHeader('gs1-epcis-version', '2.0.0');
        return { captureID: id, location: `/epcis/capture/${id}` };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/epcis/capture/:captureID',
      summary: 'A capture job: running, success, and its errors',
      tags: ['epcis'],
      access: write,
      params: z.object({ captureID: z.uuid('must be a capture id') }),
      async handler({ params }) {
        const job = await capture.get(params.captureID);
        if (!job) throw notFound(`Capture job ${params.captureID}`);
        return job;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/epcis/events',
      summary: 'Capture one event synchronously; 409 when the repository already holds it (same eventID or GS1 event hash)',
      tags: ['epcis'],
      access: write,
      body: jsonObject,
      status: 201,
      async handler({ body, res }) {
        const { '@context': ctx, ...event } = body;
        const issues = checkGs1Schema({ '@context': ctx ?? [EPCIS_CONTEXT], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: new Date().toISOString(), epcisBody: { eventList: [event] } });
        if (issues.length) throw schemaProblem(issues.map((i) => ({ ...i, path: i.path.replace(/^\/epcisBody\/eventList\/0/, '') || '/' })));
        const r = await db.transaction().execute((trx) => recordEvents(trx, [{ event: body, namespaces: {} }]));
        traceChanged(r.lifecycle.touched);
        const dup = r.duplicates[0];
        if (dup) throw conflict(`The repository already holds this event (eventID ${dup.eventId}, event hash ${dup.hash})`, { eventID: dup.eventId, eventHash: dup.hash });
        const stored = r.stored[0]!;
        res.setHeader('location', `/epcis/events/${encodeURIComponent(stored.eventId)}`);
        return { eventID: stored.eventId, eventHash: stored.hash, anomalies: r.lifecycle.anomalies.map((a) => ({ kind: a.kind, epc: a.epc, detail: a.detail })) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/epcis/events',
      summary: 'Query events (SimpleEventQuery parameters, pipe-delimited lists, perPage/nextPageToken paging); dealers see only goods shipped to them',
      tags: ['epcis'],
      access: read,
      query: z.record(z.string(), z.string()),
      produces: ['application/ld+json'],
      async handler({ query, principal, req, res }) {
        const page = await queryEvents(query, principal, await visibleTo(principal, visibility));
        res.setHeader('gs1-epcis-version', '2.0.0');
        if (page.nextPageToken) {
          const url = new URL(req.originalUrl, 'http://x');
          url.searchParams.set('nextPageToken', page.nextPageToken);
          res.setHeader('link', `<${url.pathname}${url.search}>; rel="next"`);
        }
        return queryDocument(page.events);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/epcis/events/:eventID',
      summary: 'One event by its eventID (URL-encoded)',
      tags: ['epcis'],
      access: read,
      params: z.object({ eventID: z.string().min(1).max(500) }),
      async handler({ params, principal }) {
        const page = await queryEvents({ EQ_eventID: params.eventID, perPage: '1' }, principal, await visibleTo(principal, visibility));
        const e = page.events[0];
        if (!e) throw notFound(`Event ${params.eventID}`);
        return { '@context': QUERY_CONTEXT, ...(JSON.parse(e) as Record<string, unknown>) };
      },
    }),
  ];
}
