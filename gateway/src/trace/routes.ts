import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { conflict, HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { code as codeSchema } from '../platform/http/schemas';
import { bindDispatchOrder, DispatchBindingError } from './dispatch';

const hqRead = { roles: ['hq'], scope: 'trace:read' } as const;
const hqWrite = { roles: ['hq'], scope: 'trace:write' } as const;

const gapSchema = z.object({ from_seq: z.number(), to_seq: z.number(), filled: z.number(), open: z.number(), detected_at: z.date() });
const problemSchema = z.object({ kind: z.string(), detail: z.string(), topic: z.string().nullable(), source_id: z.string().nullable(), at: z.date() });
const streamSchema = z.object({
  device_code: z.string(),
  site_code: z.string().nullable(),
  status: z.enum(['active', 'revoked', 'unregistered']),
  max_seq: z.number(),
  received: z.number(),
  rejected: z.number(),
  missing: z.number(),
  last_status: z.string().nullable(),
  last_status_detail: z.unknown(),
  last_status_at: z.date().nullable(),
  last_seen_at: z.date().nullable(),
  gaps: z.array(gapSchema),
  problems: z.array(problemSchema),
});

const anomalySchema = z.object({
  id: z.number(),
  kind: z.string(),
  epc: z.string().nullable(),
  event_id: z.string().nullable(),
  source_id: z.string().nullable(),
  detail: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  detected_at: z.date(),
});

/** HQ views of the ingest and lifecycle: device streams (gaps, problems), anomalies, dispatch bindings. */
export function traceRoutes({ db }: { db: Db }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/trace/devices/:code/stream',
      summary: "A device's ingest stream: sequence high-water mark, counts, open gaps, last status and recent problems",
      tags: ['trace'],
      access: hqRead,
      params: z.object({ code: codeSchema }),
      response: streamSchema,
      async handler({ params }) {
        const device = await db.selectFrom('devices').innerJoin('parties', 'parties.id', 'devices.site_id').select(['devices.status', 'parties.code as site_code']).where('devices.code', '=', params.code).executeTakeFirst();
        const stream = await db.selectFrom('device_streams').selectAll().where('device_code', '=', params.code).executeTakeFirst();
        const problems = await db.selectFrom('device_problems').select(['kind', 'detail', 'topic', 'source_id', 'at']).where('device_code', '=', params.code).orderBy('id', 'desc').limit(50).execute();
        if (!device && !stream && problems.length === 0) throw notFound(`Device ${params.code}`);
        const gaps = await db
          .selectFrom('device_seq_gaps')
          .select(['from_seq', 'to_seq', 'filled', 'detected_at', sql<number>`to_seq - from_seq + 1 - filled`.as('open')])
          .where('device_code', '=', params.code)
          .where(sql<boolean>`filled < to_seq - from_seq + 1`)
          .orderBy('from_seq')
          .limit(100)
          .execute();
        return {
          device_code: params.code,
          site_code: device?.site_code ?? stream?.site_code ?? null,
          status: device ? device.status : 'unregistered',
          max_seq: Number(stream?.max_seq ?? 0),
          received: Number(stream?.received ?? 0),
          rejected: Number(stream?.rejected ?? 0),
          missing: Number(stream?.missing ?? 0),
          last_status: stream?.last_status ?? null,
          last_status_detail: stream?.last_status_detail ?? null,
          last_status_at: stream?.last_status_at ?? null,
          last_seen_at: stream?.last_seen_at ?? null,
          gaps: gaps.map((g) => ({ from_seq: Number(g.from_seq), to_seq: Number(g.to_seq), filled: Number(g.filled), open: Number(g.open), detected_at: g.detected_at })),
          problems,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/trace/anomalies',
      summary: 'Invalid lifecycle transitions recorded with their evidence (newest first)',
      tags: ['trace'],
      access: hqRead,
      query: z.strictObject({
        kind: z.string().regex(/^[a-z_]{1,40}$/).optional(),
        epc: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        before: z.coerce.number().int().min(1).optional(),
      }),
      response: z.object({ items: z.array(anomalySchema) }),
      async handler({ query }) {
        let sel = db.selectFrom('anomalies').leftJoin('epcis_events', 'epcis_events.pk', 'anomalies.event_pk');
        if (query.kind) sel = sel.where('anomalies.kind', '=', query.kind);
        if (query.epc) sel = sel.where('anomalies.epc', '=', query.epc);
        if (query.before) sel = sel.where('anomalies.id', '<', query.before);
        const rows = await sel
          .select(['anomalies.id', 'anomalies.kind', 'anomalies.epc', sql<string | null>`coalesce(epcis_events.event_id, epcis_events.event_hash)`.as('event_id'), 'anomalies.source_id', 'anomalies.detail', 'anomalies.evidence', 'anomalies.detected_at'])
          .orderBy('anomalies.id', 'desc')
          .limit(query.limit)
          .execute();
        return { items: rows.map((r) => ({ ...r, id: Number(r.id) })) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/trace/dispatch-bindings',
      summary: 'Bind a dispatch order to its destination party (cases shipped on it are bound to that party and its region)',
      tags: ['trace'],
      access: hqWrite,
      body: z.strictObject({
        orderId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dot, dash or underscore'),
        destinationId: z.uuid(),
        sourceSiteId: z.uuid().optional(),
      }),
      status: 201,
      async handler({ body, principal, res }) {
        try {
          const r = await bindDispatchOrder(db, { orderId: body.orderId, destinationId: body.destinationId, sourceSiteId: body.sourceSiteId ?? null, by: principal.name });
          if (!r.created) return void res.status(200).json(r.binding);
          return r.binding;
        } catch (err) {
          if (err instanceof DispatchBindingError) {
            if (err.code === 'ALREADY_BOUND') throw conflict(err.message, { errors: [{ field: err.field, message: err.message }] });
            throw invalid(err.field, err.message);
          }
          throw err;
        }
      },
    }),
  ];
}
void HttpProblem;
