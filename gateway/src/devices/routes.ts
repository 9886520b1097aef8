import crypto from 'node:crypto';
import { z } from 'zod';
import { hashPassword } from '../identity/passwords';
import type { Db } from '../platform/db';
import { toPage, totalCount } from '../platform/db/paging';
import { HttpProblem, invalid, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { code, pageOf, paging, text, uuidParam } from '../platform/http/schemas';

export const deviceSchema = z.object({
  id: z.string(),
  code: z.string(),
  kind: z.enum(['edge-agent', 'scanner', 'plc']),
  name: z.string(),
  site_id: z.string(),
  parent_id: z.string().nullable(),
  status: z.enum(['active', 'revoked']),
  mqtt_username: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  created_at: z.date(),
  updated_at: z.date(),
});

const createDevice = z.strictObject({
  code,
  kind: z.enum(['edge-agent', 'scanner', 'plc']),
  name: text(100),
  site_id: z.uuid(),
  parent_id: z.uuid().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});
const updateDevice = z.strictObject({
  name: text(100).optional(),
  status: z.enum(['active', 'revoked']).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

const COLUMNS = ['id', 'code', 'kind', 'name', 'site_id', 'parent_id', 'status', 'mqtt_username', 'config', 'created_at', 'updated_at'] as const;
const hq = (scope: string) => ({ roles: ['hq'], scope }) as const;

/** A fresh MQTT password for an edge agent: shown once, stored only as an argon2 hash. */
async function issueMqttCredentials() {
  const password = crypto.randomBytes(24).toString('base64url');
  return { password, hash: await hashPassword(password) };
}

export function deviceRoutes({ db }: { db: Db }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/devices',
      summary: 'List edge agents, scanners and PLCs',
      tags: ['master data'],
      access: hq('masterdata:read'),
      query: z.strictObject({ site: z.uuid().optional(), kind: z.enum(['edge-agent', 'scanner', 'plc']).optional(), status: z.enum(['active', 'revoked']).optional(), ...paging }),
      response: pageOf(deviceSchema),
      async handler({ query }) {
        let sel = db.selectFrom('devices');
        if (query.site) sel = sel.where('site_id', '=', query.site);
        if (query.kind) sel = sel.where('kind', '=', query.kind);
        if (query.status) sel = sel.where('status', '=', query.status);
        const rows = await sel.select(COLUMNS).select(totalCount()).orderBy('code').limit(query.limit).offset(query.offset).execute();
        return toPage(rows, query, async () => (await sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/devices/:id',
      summary: 'One device',
      tags: ['master data'],
      access: hq('masterdata:read'),
      params: uuidParam,
      response: deviceSchema,
      async handler({ params }) {
        const row = await db.selectFrom('devices').select(COLUMNS).where('id', '=', params.id).executeTakeFirst();
        if (!row) throw notFound(`Device ${params.id}`);
        return row;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/devices',
      summary: 'Register a device; an edge agent gets its own MQTT credentials (password shown once)',
      tags: ['master data'],
      access: hq('masterdata:write'),
      body: createDevice,
      status: 201,
      async handler({ body, principal }) {
        const site = await db.selectFrom('parties').select('kind').where('id', '=', body.site_id).executeTakeFirst();
        if (!site || !['warehouse', 'factory', 'store', 'dealer'].includes(site.kind)) throw invalid('body.site_id', 'must be a warehouse, factory, dealer or store');
        if (body.parent_id) {
          const parent = await db.selectFrom('devices').select(['kind', 'site_id']).where('id', '=', body.parent_id).executeTakeFirst();
          if (parent?.kind !== 'edge-agent' || parent.site_id !== body.site_id) throw invalid('body.parent_id', 'must be an edge agent at the same site');
        }
        const taken = await db.selectFrom('devices').select('id').where('code', '=', body.code).executeTakeFirst();
        if (taken) throw new HttpProblem('conflict', `A device with code ${body.code} already exists`, { errors: [{ field: 'body.code', message: 'already exists' }] });
        const creds = body.kind === 'edge-agent' ? await issueMqttCredentials() : null;
        const row = await db
          .insertInto('devices')
          .values({
            code: body.code,
            kind: body.kind,
            name: body.name,
            site_id: body.site_id,
            parent_id: body.parent_id ?? null,
            config: JSON.stringify(body.config ?? {}),
            mqtt_username: creds ? body.code : null,
            mqtt_password_hash: creds?.hash ?? null,
          })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow();
        await db.insertInto('audit_log').values({ actor: principal.name, action: 'device.create', entity: 'device', entity_id: row.id, detail: { code: row.code } }).execute();
        return { ...row, ...(creds ? { mqtt_password: creds.password } : {}) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/devices/:id',
      summary: 'Rename, reconfigure or revoke a device (a revoked device can no longer connect or publish)',
      tags: ['master data'],
      access: hq('masterdata:write'),
      params: uuidParam,
      body: updateDevice,
      response: deviceSchema,
      async handler({ params, body, principal }) {
        if (Object.keys(body).length === 0) throw invalid('body', 'names no field to change');
        const { config, ...rest } = body;
        const row = await db
          .updateTable('devices')
          .set({ ...rest, ...(config ? { config: JSON.stringify(config) } : {}), updated_at: new Date() })
          .where('id', '=', params.id)
          .returning(COLUMNS)
          .executeTakeFirst();
        if (!row) throw notFound(`Device ${params.id}`);
        await db.insertInto('audit_log').values({ actor: principal.name, action: 'device.update', entity: 'device', entity_id: row.id, detail: body }).execute();
        return row;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/devices/:id/credentials',
      summary: 'Rotate an edge agent\'s MQTT password (the old one stops working)',
      tags: ['master data'],
      access: hq('masterdata:write'),
      params: uuidParam,
      status: 201,
      async handler({ params, principal }) {
        const device = await db.selectFrom('devices').select(['kind', 'code']).where('id', '=', params.id).executeTakeFirst();
        if (!device) throw notFound(`Device ${params.id}`);
        if (device.kind !== 'edge-agent') throw new HttpProblem('conflict', 'Only edge agents connect to the broker; scanners and PLCs speak through them');
        const creds = await issueMqttCredentials();
        await db.updateTable('devices').set({ mqtt_username: device.code, mqtt_password_hash: creds.hash, updated_at: new Date() }).where('id', '=', params.id).execute();
        await db.insertInto('audit_log').values({ actor: principal.name, action: 'device.rotate-credentials', entity: 'device', entity_id: params.id }).execute();
        return { mqtt_username: device.code, mqtt_password: creds.password };
      },
    }),
  ];
}
