import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { latitude, longitude, paging, regionCode, text, uuidParam } from '../platform/http/schemas';
import type { RegionService } from '../regions/service';
import { gtin14, instant } from '../region-control/schemas';
import type { AlertService } from './alerts';
import type { DiversionEngine } from './engine';
import { diversionRulesSchema, type RulesStore, SCAN_SOURCES } from './rules';

const ALERT_KINDS = ['diversion', 'clone-velocity', 'clone-excess-scans', 'counterfeit-unissued', 'decommissioned-scan'] as const;
const ALERT_STATUSES = ['watching', 'open', 'investigating', 'confirmed', 'dismissed'] as const;

/** One downstream scan as an integration submits it (snake_case on the wire). */
export const scanSchema = z
  .strictObject({
    event_id: z.string().min(1).max(200),
    code: z.string().min(1).max(200),
    gtin: gtin14.optional(),
    batch: z.string().min(1).max(40).optional(),
    serial: z.string().min(1).max(40).optional(),
    sscc: z.string().regex(/^\d{18}$/, 'must be an 18-digit SSCC').optional(),
    item_count: z.number().int().min(1).max(100_000).default(1),
    biz_step: z.string().min(1).max(60),
    source: z.enum(SCAN_SOURCES),
    event_time: instant,
    scanning_party_id: z.uuid().optional(),
    device_id: z.uuid().optional(),
    lat: latitude.optional(),
    lng: longitude.optional(),
    shipped_to: z.strictObject({ dealer_id: z.uuid(), order_id: z.string().min(1).max(100), shipped_at: instant }).optional(),
    code_status: z.enum(['issued', 'never-issued', 'decommissioned']).optional(),
  })
  .refine((s) => (s.lat === undefined) === (s.lng === undefined), { message: 'lat and lng come together', path: ['lat'] });

const read = { roles: ['hq', 'dealer'], scope: 'alerts:read' } as const;
const write = { roles: ['hq'], scope: 'alerts:write' } as const;

export function diversionRoutes(deps: { db: Db; engine: DiversionEngine; alerts: AlertService; rules: RulesStore; regions: RegionService }): AnyRoute[] {
  const { db, engine, alerts, rules, regions } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/diversion/scans',
      summary: 'Judge downstream scans for diversion and clone signals (integrations; the trace feed does the same)',
      tags: ['diversion'],
      access: { roles: ['hq'], scope: 'scans:submit' },
      body: z.strictObject({ scans: z.array(scanSchema).min(1).max(1000) }),
      async handler({ body }) {
        const outcomes = await engine.processScans(
          body.scans.map((s) => ({
            eventId: s.event_id,
            code: s.code,
            gtin: s.gtin,
            batch: s.batch,
            serial: s.serial,
            sscc: s.sscc,
            itemCount: s.item_count,
            bizStep: s.biz_step,
            source: s.source,
            eventTime: s.event_time,
            scanningPartyId: s.scanning_party_id,
            deviceId: s.device_id,
            lat: s.lat,
            lng: s.lng,
            shippedTo: s.shipped_to ? { dealerId: s.shipped_to.dealer_id, orderId: s.shipped_to.order_id, shippedAt: s.shipped_to.shipped_at } : undefined,
            codeStatus: s.code_status,
          })),
        );
        return {
          outcomes: outcomes.map((o) => ({
            event_id: o.eventId,
            verdict: o.verdict,
            region_code: o.place.known ? o.place.regionCode : null,
            located_by: o.place.known ? o.place.by : null,
            alerts: o.alerts.map((a) => ({ id: a.id, kind: a.kind, status: a.status, opened: a.opened })),
          })),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/diversion/rules',
      summary: 'The diversion and clone rules in force',
      tags: ['diversion'],
      access: read,
      handler: () => rules.current(),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/diversion/rules',
      summary: 'Replace the diversion and clone rules (HQ); omitted fields take their defaults',
      tags: ['diversion'],
      access: write,
      body: diversionRulesSchema,
      handler: ({ body, principal }) => rules.set(body, principal.name),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/diversion/quiet-rules',
      summary: 'Authorised exceptions (e.g. a cross-region promotion) under which scans open no diversion alert',
      tags: ['diversion'],
      access: read,
      query: z.strictObject({ ...paging }),
      async handler({ query }) {
        const items = await db.selectFrom('diversion_quiet_rules').selectAll().orderBy('valid_from', 'desc').limit(query.limit).offset(query.offset).execute();
        return { items, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/diversion/quiet-rules',
      summary: 'Add an authorised exception to the diversion rules (HQ)',
      tags: ['diversion'],
      access: write,
      body: z.strictObject({
        dealer_id: z.uuid().optional(),
        region_code: regionCode,
        batch: z.string().min(1).max(40).optional(),
        gtin: gtin14.optional(),
        valid_from: instant,
        valid_to: instant,
        reason: text(500),
      }),
      status: 201,
      async handler({ body, principal }) {
        if (!regions.get(body.region_code)) throw invalid('body.region_code', `${body.region_code} is not a GB/T 2260 region code`);
        if (body.valid_to <= body.valid_from) throw invalid('body.valid_to', 'must be after valid_from');
        if (body.dealer_id) {
          const d = await db.selectFrom('parties').select('kind').where('id', '=', body.dealer_id).executeTakeFirst();
          if (d?.kind !== 'dealer') throw invalid('body.dealer_id', 'must be a dealer');
        }
        return db
          .insertInto('diversion_quiet_rules')
          .values({ dealer_id: body.dealer_id ?? null, region_code: body.region_code, batch: body.batch ?? null, gtin: body.gtin ?? null, valid_from: body.valid_from, valid_to: body.valid_to, reason: body.reason, created_by: principal.name })
          .returningAll()
          .executeTakeFirstOrThrow();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/alerts',
      summary: 'Diversion, clone and counterfeit alerts; a dealer sees those where it is the source or the victim',
      tags: ['diversion'],
      access: read,
      query: z.strictObject({
        kind: z.enum(ALERT_KINDS).optional(),
        status: z.enum(ALERT_STATUSES).optional(),
        dealer: z.uuid().optional(),
        region: regionCode.optional(),
        batch: z.string().max(40).optional(),
        ...paging,
      }),
      handler: ({ query, principal }) => alerts.list(principal, query),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/alerts/:id',
      summary: 'One alert with its notes and the first evidence',
      tags: ['diversion'],
      access: read,
      params: uuidParam,
      handler: ({ params, principal }) => alerts.details(principal, params.id),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/alerts/:id',
      summary: 'Move an alert through open → investigating → confirmed | dismissed, assign it, add a note (HQ)',
      tags: ['diversion'],
      access: write,
      params: uuidParam,
      body: z.strictObject({ status: z.enum(ALERT_STATUSES).optional(), assignee: text(100).nullable().optional(), note: text(2000).optional() }),
      async handler({ params, body, principal }) {
        if (body.status === undefined && body.assignee === undefined && body.note === undefined) throw invalid('body', 'names no change: give status, assignee or note');
        return alerts.update(principal, params.id, body);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/alerts/:id/evidence.csv',
      summary: "An alert's evidence as CSV",
      tags: ['diversion'],
      access: read,
      params: uuidParam,
      produces: ['text/csv'],
      async handler({ params, principal, res }) {
        const csv = await alerts.evidenceCsv(principal, params.id);
        res.status(200).type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="alert-${params.id}.csv"`);
        res.send(csv);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/alerts/:id/evidence.epcis',
      summary: "An alert's evidence as an EPCIS 2.0 document",
      tags: ['diversion'],
      access: read,
      params: uuidParam,
      produces: ['application/ld+json'],
      async handler({ params, principal, res }) {
        const doc = await alerts.evidenceEpcis(principal, params.id);
        res.status(200).type('application/ld+json').send(JSON.stringify(doc));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/compliance/:id',
      summary: "A dealer's compliance record from confirmed diversion alerts (HQ, or the dealer itself)",
      tags: ['diversion'],
      access: read,
      params: uuidParam,
      async handler({ params, principal }) {
        if (principal.role !== 'hq' && principal.partyId !== params.id) throw notFound(`Dealer ${params.id}`);
        return alerts.compliance(params.id);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/alert-webhooks',
      summary: 'Webhooks notified of alerts (HQ); secrets are not shown',
      tags: ['diversion'],
      access: write,
      async handler() {
        const items = await db.selectFrom('alert_webhooks').select(['id', 'url', 'kinds', 'active', 'created_by', 'created_at']).orderBy('created_at').execute();
        return { items };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/alert-webhooks',
      summary: 'Register a webhook for alert events (HQ); the signing secret is shown once',
      tags: ['diversion'],
      access: write,
      body: z.strictObject({
        url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500),
        kinds: z.array(z.enum(ALERT_KINDS)).min(1).default([...ALERT_KINDS]),
      }),
      status: 201,
      async handler({ body, principal }) {
        const secret = crypto.randomBytes(24).toString('base64url');
        const row = await db.insertInto('alert_webhooks').values({ url: body.url, kinds: body.kinds, secret, created_by: principal.name }).returning(['id', 'url', 'kinds', 'active']).executeTakeFirstOrThrow();
        return { ...row, secret };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/alert-webhooks/:id',
      summary: 'Stop notifying a webhook (HQ)',
      tags: ['diversion'],
      access: write,
      params: uuidParam,
      async handler({ params }) {
        const r = await db.updateTable('alert_webhooks').set({ active: false }).where('id', '=', params.id).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw notFound(`Webhook ${params.id}`);
      },
    }),
  ];
}
