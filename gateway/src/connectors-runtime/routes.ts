import { z } from 'zod';
import type { Db } from '../platform/db';
import { HttpProblem, notFound } from '../platform/http/problem';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import type { JobRunner } from '../platform/jobs';
import type { ConnectorHealth } from './health';

const admin = { roles: ['hq'], scope: 'connectors:admin' } as const;

/** Operator routes: health, dead-lettered records and jobs, and their replay. */
export function connectorAdminRoutes(deps: {
  db: Db;
  jobs: JobRunner;
  health: () => Promise<ConnectorHealth[]>;
  replay: (connector: string, stream: string, record: unknown) => Promise<void>;
}): AnyRoute[] {
  const { db, jobs } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/connectors',
      summary: 'Every configured connector with its health: last success, staleness, lag, error rate, circuit state',
      tags: ['connectors'],
      access: admin,
      async handler() {
        return { items: await deps.health() };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/connectors/dead-letters',
      summary: 'Records a connector could not apply (bad field, unknown SKU...), with the path of the bad field',
      tags: ['connectors'],
      access: admin,
      query: z.strictObject({ connector: z.string().max(40).optional(), status: z.enum(['open', 'replayed', 'discarded']).default('open'), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      async handler({ query }) {
        let q = db.selectFrom('connector_dead_letters').selectAll().where('status', '=', query.status);
        if (query.connector) q = q.where('connector', '=', query.connector);
        return { items: await q.orderBy('id').limit(query.limit).execute() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/connectors/dead-letters/:id/replay',
      summary: 'Apply a dead-lettered record again (after its cause was fixed, e.g. the SKU was created); answers what is still wrong',
      tags: ['connectors'],
      access: admin,
      params: z.object({ id: z.coerce.number().int().positive() }),
      async handler({ params, principal }) {
        const dl = await db.selectFrom('connector_dead_letters').selectAll().where('id', '=', params.id).executeTakeFirst();
        if (!dl) throw notFound(`Dead letter ${params.id}`);
        if (dl.status !== 'open') throw new HttpProblem('conflict', `dead letter ${params.id} is already ${dl.status}`);
        await deps.replay(dl.connector, dl.stream, dl.record);
        await db.updateTable('connector_dead_letters').set({ status: 'replayed', resolved_at: new Date(), resolved_by: principal.name }).where('id', '=', params.id).execute();
        return { id: params.id, status: 'replayed' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/connectors/dead-letters/:id/discard',
      summary: 'Close a dead-lettered record without applying it',
      tags: ['connectors'],
      access: admin,
      params: z.object({ id: z.coerce.number().int().positive() }),
      async handler({ params, principal }) {
        const r = await db.updateTable('connector_dead_letters').set({ status: 'discarded', resolved_at: new Date(), resolved_by: principal.name }).where('id', '=', params.id).where('status', '=', 'open').executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw notFound(`Open dead letter ${params.id}`);
        return { id: params.id, status: 'discarded' };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/connectors/failed-jobs',
      summary: 'Sync jobs that spent their retries (the job runner’s dead letters)',
      tags: ['connectors'],
      access: admin,
      async handler() {
        return { items: await jobs.failed() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/connectors/failed-jobs/:name/:job_id/retry',
      summary: 'Replay a dead-lettered job with a fresh set of attempts',
      tags: ['connectors'],
      access: admin,
      params: z.object({ name: z.string().max(80), job_id: z.string().max(200) }),
      status: 202,
      async handler({ params }) {
        try {
          await jobs.retry(params.job_id, params.name);
        } catch (err) {
          if ((err as { code?: string }).code === 'JOB_NOT_FAILED') throw notFound(`Failed job ${params.name}/${params.job_id}`);
          throw err;
        }
        return { name: params.name, job_id: params.job_id, status: 'retrying' };
      },
    }),
  ];
}
