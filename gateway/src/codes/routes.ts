import { isValidGtin } from '@cradle/protocol';
import type { Request } from 'express';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { conflict, HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { uuidParam } from '../platform/http/schemas';
import { CodeIssueError, issueCodes, MAX_CODES_PER_REQUEST } from './issue';
import { csvList, digitalLinkOf, hriOf, type PrintableCode, pngSheet, svgSheet } from './render';

const issue = { roles: ['hq'], scope: 'codes:issue' } as const;
/** Labels on one sheet (SVG/PNG); a request's sheets are pages of it. */
const MAX_SHEET = 200;

const requestSchema = z.object({
  id: z.string(),
  idempotency_key: z.string(),
  kind: z.enum(['item', 'case', 'pallet']),
  gtin: z.string().nullable(),
  batch_code: z.string().nullable(),
  quantity: z.number(),
  requested_by: z.string(),
  created_at: z.date(),
});

const createRequest = z.strictObject({
  /** The caller's key for this request: a retry with the same key returns the same codes. */
  idempotencyKey: z.string().regex(/^[A-Za-z0-9._:-]{8,100}$/, 'must be 8-100 letters, digits or . _ : -'),
  kind: z.enum(['item', 'case', 'pallet']).default('item'),
  gtin: z.string().regex(/^\d{14}$/, 'must be a GTIN-14').refine(isValidGtin, 'has a wrong GS1 check digit').optional(),
  batch: z.string().regex(/^[!-"%-/0-9:-?A-Z_a-z]{1,20}$/, 'must be 1-20 characters of GS1 AI (10)').optional(),
  quantity: z.number().int().min(1).max(MAX_CODES_PER_REQUEST),
  line: z.string().max(40).optional(),
});

const sheetQuery = z.strictObject({
  symbol: z.enum(['qr', 'datamatrix', 'gs1-128']).default('qr'),
  page: z.coerce.number().int().min(1).default(1),
  perPage: z.coerce.number().int().min(1).max(MAX_SHEET).default(48),
  columns: z.coerce.number().int().min(1).max(20).default(6),
});

/** Where the printed Digital Links point: the public resolver (PUBLIC_URL), else the host the caller reached. */
const originOf = (publicUrl: string | undefined, req: Request) => (publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');

/** Code issuing and print files: HQ or a factory line's system (API key with codes:issue). */
export function codeRoutes({ db, publicUrl }: { db: Db; publicUrl: string | undefined }): AnyRoute[] {
  async function page(id: string, p: number, perPage: number): Promise<PrintableCode[]> {
    const req = await db.selectFrom('code_requests').select('id').where('id', '=', id).executeTakeFirst();
    if (!req) throw notFound(`Code request ${id}`);
    return db.selectFrom('codes').select(['epc', 'gtin', 'serial', 'sscc', 'batch_code']).where('request_id', '=', id).orderBy('epc').limit(perPage).offset((p - 1) * perPage).execute();
  }
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/codes/requests',
      summary: 'Issue N unguessable codes (cans: GTIN + random serial) or SSCCs (cases, pallets); idempotent on idempotencyKey; audited',
      tags: ['codes'],
      access: issue,
      body: createRequest,
      response: requestSchema,
      status: 201,
      async handler({ body, principal, res }) {
        if (body.kind === 'item' && !body.gtin) throw invalid('body.gtin', 'is required for item codes');
        try {
          const r = await issueCodes(db, { idempotencyKey: body.idempotencyKey, kind: body.kind, gtin: body.gtin, batchCode: body.batch, quantity: body.quantity, requestedBy: principal.name });
          res.setHeader('location', `/api/v1/codes/requests/${r.request.id}`);
          // A retry with the same key answers 200 with the first request, not a new 201.
          if (!r.created) return void res.status(200).json(r.request);
          return r.request;
        } catch (err) {
          if (err instanceof CodeIssueError) {
            if (err.code === 'IDEMPOTENCY_CONFLICT') throw conflict(err.message, { errors: [{ field: err.field ?? 'body', message: err.message }] });
            throw invalid(err.field ?? 'body', err.message);
          }
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/codes/requests/:id',
      summary: 'One code request',
      tags: ['codes'],
      access: issue,
      params: uuidParam,
      response: requestSchema,
      async handler({ params }) {
        const r = await db.selectFrom('code_requests').selectAll().where('id', '=', params.id).executeTakeFirst();
        if (!r) throw notFound(`Code request ${params.id}`);
        return r;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/codes/requests/:id/codes',
      summary: "A request's codes for line printers, as JSON or CSV (format=csv), with Digital Link and element string",
      tags: ['codes'],
      access: issue,
      params: uuidParam,
      query: z.strictObject({ format: z.enum(['json', 'csv']).default('json'), page: z.coerce.number().int().min(1).default(1), perPage: z.coerce.number().int().min(1).max(MAX_CODES_PER_REQUEST).default(10_000) }),
      produces: ['text/csv'],
      async handler({ params, query, req, res }) {
        const codes = await page(params.id, query.page, query.perPage);
        const origin = originOf(publicUrl, req);
        if (query.format === 'csv') {
          res.type('text/csv').setHeader('content-disposition', `attachment; filename="codes-${params.id}-${query.page}.csv"`);
          res.send(csvList(codes, origin));
          return;
        }
        return { items: codes.map((c) => ({ ...c, digital_link: digitalLinkOf(c, origin), element_string: hriOf(c) })) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/codes/requests/:id/labels.svg',
      summary: 'A sheet of labels as SVG: GS1 Digital Link QR codes, GS1 DataMatrix, or GS1-128 (SSCCs)',
      tags: ['codes'],
      access: issue,
      params: uuidParam,
      query: sheetQuery,
      produces: ['image/svg+xml'],
      async handler({ params, query, req, res }) {
        const codes = await page(params.id, query.page, query.perPage);
        if (codes.length === 0) throw notFound(`Page ${query.page} of request ${params.id}`);
        if (query.symbol === 'gs1-128' && codes.some((c) => !c.sscc)) throw invalid('query.symbol', 'gs1-128 labels are for SSCCs (cases and pallets)');
        res.type('image/svg+xml').send(svgSheet(codes, query.symbol, originOf(publicUrl, req), query.columns));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/codes/requests/:id/labels.png',
      summary: 'A sheet of 2D labels as PNG (QR Digital Link or GS1 DataMatrix)',
      tags: ['codes'],
      access: issue,
      params: uuidParam,
      query: sheetQuery,
      produces: ['image/png'],
      async handler({ params, query, req, res }) {
        if (query.symbol === 'gs1-128') throw new HttpProblem('validation-failed', 'query.symbol: PNG sheets hold 2D symbols (qr, datamatrix); use labels.svg for GS1-128', { errors: [{ field: 'query.symbol', message: 'must be qr or datamatrix for PNG' }] });
        const codes = await page(params.id, query.page, query.perPage);
        if (codes.length === 0) throw notFound(`Page ${query.page} of request ${params.id}`);
        res.type('image/png').send(pngSheet(codes, query.symbol, originOf(publicUrl, req), query.columns));
      },
    }),
  ];
}
