import { isValidGtin } from '@cradle/protocol';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { conflict, HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { text, uuidParam } from '../platform/http/schemas';
import { BatchError, type BatchService, QC_TYPES } from './service';

const read = { roles: ['hq'], scope: 'trace:read' } as const;
const write = { roles: ['hq'], scope: 'trace:write' } as const;
const isoDate = z.iso.date('must be a date, YYYY-MM-DD');
const gtin = z.string().regex(/^\d{14}$/, 'must be a GTIN-14').refine(isValidGtin, 'has a wrong GS1 check digit');

function mapError(err: unknown): never {
  if (err instanceof BatchError) {
    if (err.code === 'NOT_FOUND') throw notFound(err.message);
    if (err.code === 'RELEASE_BLOCKED' || err.code === 'EXISTS' || err.code === 'NOT_RELEASABLE') throw conflict(err.message, err.field ? { errors: [{ field: err.field, message: err.message }] } : {});
    throw invalid(err.field ?? 'body', err.message);
  }
  throw err;
}

/** Batches and production records (HQ): create, farm inputs, QC reports, release with override. */
export function batchRoutes({ db, batches }: { db: Db; batches: BatchService }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/batches',
      summary: 'List batches (newest first)',
      tags: ['batches'],
      access: read,
      query: z.strictObject({ gtin: gtin.optional(), status: z.enum(['open', 'completed', 'held', 'released', 'aborted', 'recalled']).optional(), limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).default(0) }),
      async handler({ query }) {
        let sel = db.selectFrom('batches').selectAll();
        if (query.gtin) sel = sel.where('gtin', '=', query.gtin);
        if (query.status) sel = sel.where('status', '=', query.status);
        return { items: await sel.orderBy('created_at', 'desc').limit(query.limit).offset(query.offset).execute() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/batches',
      summary: 'Record a batch (the edge agent also creates them from production records)',
      tags: ['batches'],
      access: write,
      body: z.strictObject({ gtin, code: z.string().regex(/^[!-"%-/0-9:-?A-Z_a-z]{1,20}$/, 'must be 1-20 characters of GS1 AI (10)'), factoryId: z.uuid(), line: text(40).optional(), productionDate: isoDate, expiryDate: isoDate.optional() }),
      status: 201,
      async handler({ body, principal }) {
        return batches.create({ ...body, by: principal.name }).catch(mapError);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/batches/:id',
      summary: 'A batch with its inputs, sterilisation summary, QC reports and flags',
      tags: ['batches'],
      access: read,
      params: uuidParam,
      async handler({ params }) {
        const b = await batches.get(params.id);
        if (!b) throw notFound(`Batch ${params.id}`);
        return b;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/batches/:id/inputs',
      summary: "Add a raw-material lot from a farm (the farm's location, feed and milking times are recorded with it)",
      tags: ['batches'],
      access: write,
      params: uuidParam,
      body: z.strictObject({ farmId: z.uuid(), lot: text(40), material: text(60), quantity: z.number().positive().optional(), unit: text(10).optional(), milkedAt: z.iso.datetime({ offset: true }).optional(), data: z.record(z.string(), z.unknown()).optional() }),
      status: 201,
      async handler({ params, body, principal }) {
        return batches.addInput(params.id, { ...body, by: principal.name }).catch(mapError);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/batches/:id/qc-reports',
      summary: 'Attach a QC report (PDF, PNG or JPEG, base64, within the body limit); stored with its SHA-256',
      tags: ['batches'],
      access: write,
      params: uuidParam,
      body: z.strictObject({
        result: z.enum(['pass', 'fail']),
        summary: text(500).optional(),
        fileName: z.string().regex(/^[^/\\\u0000-\u001f]{1,120}$/, 'must be a file name'),
        contentType: z.enum(Object.keys(QC_TYPES) as [string, ...string[]]),
        contentBase64: z.base64('must be base64').min(8),
      }),
      status: 201,
      async handler({ params, body, principal }) {
        return batches.addQcReport(params.id, { ...body, content: Buffer.from(body.contentBase64, 'base64'), by: principal.name }).catch(mapError);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/batches/:id/qc-reports/:reportId',
      summary: 'The QC report file',
      tags: ['batches'],
      access: read,
      params: z.object({ id: z.uuid(), reportId: z.uuid() }),
      produces: ['application/pdf', 'image/png', 'image/jpeg'],
      async handler({ params, res }) {
        const f = await batches.qcFile(params.reportId);
        if (!f) throw notFound(`QC report ${params.reportId}`);
        res.type(f.content_type).setHeader('content-disposition', `inline; filename="${encodeURIComponent(f.file_name)}"`);
        res.send(f.content);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/batches/:id/release',
      summary: 'Release a batch; one whose sterilisation went out of limits needs overrideReason (409 without it)',
      tags: ['batches'],
      access: write,
      params: uuidParam,
      body: z.strictObject({ overrideReason: text(500).optional() }),
      async handler({ params, body, principal }) {
        return batches.release(params.id, { overrideReason: body.overrideReason, by: principal.name }).catch(mapError);
      },
    }),
  ];
}
void HttpProblem;
