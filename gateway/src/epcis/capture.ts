import { contextNamespaces } from '@cradle/protocol';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logging';
import { traceChanged } from '../trace/changes';
import { recordEvents } from '../trace/record';

export interface CaptureJob {
  captureID: string;
  createdAt: string;
  finishedAt?: string;
  running: boolean;
  success: boolean;
  captureErrorBehaviour: 'rollback';
  captured: number;
  duplicates: number;
  errors: unknown[];
}

/**
 * Asynchronous capture (EPCIS 2.0 §8.2.5 / REST POST /capture): the validated document is kept with its job row,
 * then stored all-or-nothing ("rollback" error behaviour) in one transaction. Events already in the repository
 * (same eventID or event hash) are counted as duplicates, not stored twice. Jobs still running when the process
 * stopped are picked up again at start (`resumeCaptureJobs`), so an accepted capture is never lost.
 */
export function createCaptureService(deps: { db: Db; log: Logger }) {
  const { db, log } = deps;
  const running = new Set<string>();

  async function process(id: string): Promise<void> {
    if (running.has(id)) return;
    running.add(id);
    try {
      const job = await db.selectFrom('epcis_capture_jobs').select(['document', 'status']).where('id', '=', id).executeTakeFirst();
      if (!job || job.status !== 'running') return;
      const doc = job.document as { '@context'?: unknown; epcisBody: { eventList: Record<string, unknown>[] } };
      const namespaces = contextNamespaces(doc['@context']);
      try {
        const r = await db.transaction().execute((trx) => recordEvents(trx, doc.epcisBody.eventList.map((event) => ({ event, namespaces }))));
        traceChanged(r.lifecycle.touched);
        await db
          .updateTable('epcis_capture_jobs')
          .set({ status: 'succeeded', captured: r.stored.length, duplicates: r.duplicates.length, document: null, finished_at: new Date() })
          .where('id', '=', id)
          .execute();
      } catch (err) {
        log.error({ err, captureID: id }, 'EPCIS capture failed');
        await db
          .updateTable('epcis_capture_jobs')
          .set({ status: 'failed', errors: JSON.stringify([{ message: err instanceof Error ? err.message : String(err) }]), finished_at: new Date() })
          .where('id', '=', id)
          .execute();
      }
    } finally {
      running.delete(id);
    }
  }

  return {
    /** Records the job and starts it; resolves with its id before the events are stored. */
    async submit(document: unknown, by: string): Promise<string> {
      const row = await db.insertInto('epcis_capture_jobs').values({ document: JSON.stringify(document), created_by: by }).returning('id').executeTakeFirstOrThrow();
      setImmediate(() => void process(row.id));
      return row.id;
    },
    async get(id: string): Promise<CaptureJob | null> {
      const j = await db.selectFrom('epcis_capture_jobs').select(['id', 'status', 'captured', 'duplicates', 'errors', 'created_at', 'finished_at']).where('id', '=', id).executeTakeFirst();
      if (!j) return null;
      return {
        captureID: j.id,
        createdAt: new Date(j.created_at).toISOString(),
        ...(j.finished_at ? { finishedAt: new Date(j.finished_at).toISOString() } : {}),
        running: j.status === 'running',
        success: j.status === 'succeeded',
        captureErrorBehaviour: 'rollback',
        captured: j.captured,
        duplicates: j.duplicates,
        errors: j.errors as unknown[],
      };
    },
    async resumeCaptureJobs(): Promise<number> {
      const jobs = await db.selectFrom('epcis_capture_jobs').select('id').where('status', '=', 'running').execute();
      for (const j of jobs) await process(j.id);
      return jobs.length;
    },
    /** Resolves when no capture is being processed (tests). */
    async idle(): Promise<void> {
      while (running.size) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

export type CaptureService = ReturnType<typeof createCaptureService>;
