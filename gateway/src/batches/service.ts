import crypto from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database, Db } from '../platform/db';
import { traceChanged } from '../trace/changes';

export class BatchError extends Error {
  override name = 'BatchError';
  constructor(
    readonly code: 'NOT_FOUND' | 'RELEASE_BLOCKED' | 'INVALID' | 'EXISTS' | 'NOT_RELEASABLE',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface SterilisationSummary {
  readings: number;
  outOfLimits: number;
  /** Per measured quantity (temperature, hold time...): min, max, unit, and the limits the PLC reported. */
  series: { name: string; unit: string; min: number; max: number; count: number; outOfLimits: number; limits: unknown }[];
}

/** Qc report content types accepted, with the magic bytes that must open the file. */
export const QC_TYPES: Record<string, (b: Buffer) => boolean> = {
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
};

/** Batches and their production records: inputs from farms, steriliser readings, QC reports, release. */
export function createBatchService({ db }: { db: Db }) {
  // Takes the executor: inside a transaction it must be that transaction (PGlite has one session).
  async function sterilisation(batch: { code: string; factory_id: string | null }, on: Kysely<Database> = db): Promise<SterilisationSummary> {
    if (!batch.factory_id) return { readings: 0, outOfLimits: 0, series: [] };
    const rows = await sql<{ name: string; unit: string; min: number; max: number; count: number; out: number; limits: unknown }>`
      select name, unit, min(value) as min, max(value) as max, count(*)::int as count, count(*) filter (where out_of_limits)::int as out,
        (array_agg(limits) filter (where limits is not null))[1] as limits
      from batch_readings where batch_code = ${batch.code} and site_id = ${batch.factory_id}
      group by name, unit order by name`.execute(on);
    return {
      readings: rows.rows.reduce((n, r) => n + Number(r.count), 0),
      outOfLimits: rows.rows.reduce((n, r) => n + Number(r.out), 0),
      series: rows.rows.map((r) => ({ name: r.name, unit: r.unit, min: Number(r.min), max: Number(r.max), count: Number(r.count), outOfLimits: Number(r.out), limits: r.limits ?? null })),
    };
  }

  async function get(id: string) {
    const b = await db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
    if (!b) return null;
    const inputs = await db.selectFrom('batch_inputs').selectAll().where('batch_id', '=', id).orderBy('created_at').execute();
    const reports = await db.selectFrom('qc_reports').select(['id', 'result', 'summary', 'file_name', 'content_type', 'sha256', 'size_bytes', 'created_by', 'created_at']).where('batch_id', '=', id).orderBy('created_at').execute();
    const steril = await sterilisation(b);
    return { ...b, inputs, qc_reports: reports, sterilisation: steril, flags: { sterilisationOutOfLimits: steril.outOfLimits > 0, releaseNeedsOverride: steril.outOfLimits > 0 && !b.release_override } };
  }

  return {
    get,
    sterilisation,
    async create(input: { gtin: string; code: string; factoryId: string; line?: string | undefined; productionDate: string; expiryDate?: string | undefined; by: string }) {
      const factory = await db.selectFrom('parties').select('kind').where('id', '=', input.factoryId).executeTakeFirst();
      if (factory?.kind !== 'factory') throw new BatchError('INVALID', 'must be a factory', 'body.factoryId');
      const sku = await db.selectFrom('skus').select('shelf_life_days').where('gtin', '=', input.gtin).executeTakeFirst();
      if (!sku) throw new BatchError('INVALID', `GTIN ${input.gtin} is not in the catalogue`, 'body.gtin');
      const expiry = input.expiryDate ?? new Date(Date.parse(input.productionDate) + sku.shelf_life_days * 86_400_000).toISOString().slice(0, 10);
      if (expiry <= input.productionDate) throw new BatchError('INVALID', 'must be after the production date', 'body.expiryDate');
      const row = await db
        .insertInto('batches')
        .values({ gtin: input.gtin, code: input.code, factory_id: input.factoryId, line: input.line ?? null, production_date: input.productionDate, expiry_date: expiry, details: {} })
        .onConflict((oc) => oc.columns(['gtin', 'code']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) throw new BatchError('EXISTS', `batch ${input.code} of ${input.gtin} already exists`, 'body.code');
      await db.insertInto('audit_log').values({ actor: input.by, action: 'batch.create', entity: 'batch', entity_id: row.id, detail: { gtin: input.gtin, code: input.code } }).execute();
      return (await get(row.id))!;
    },
    /** A raw-material lot with the farm's data at the time: location, feed, milking times from the farm record, plus what the caller adds. */
    async addInput(batchId: string, input: { farmId: string; lot: string; material: string; quantity?: number | undefined; unit?: string | undefined; milkedAt?: string | undefined; data?: Record<string, unknown> | undefined; by: string }) {
      const farm = await db.selectFrom('parties').select(['kind', 'name', 'attributes', 'lat', 'lng', 'region_code']).where('id', '=', input.farmId).executeTakeFirst();
      if (farm?.kind !== 'farm') throw new BatchError('INVALID', 'must be a farm', 'body.farmId');
      const b = await db.selectFrom('batches').select('id').where('id', '=', batchId).executeTakeFirst();
      if (!b) throw new BatchError('NOT_FOUND', `Batch ${batchId}`);
      const a = farm.attributes as Record<string, unknown>;
      const data = { farm: farm.name, location: a.location ?? { lat: farm.lat, lng: farm.lng }, region_code: farm.region_code, feed: a.feed ?? null, milking_times: a.milking_times ?? null, ...input.data };
      const row = await db
        .insertInto('batch_inputs')
        .values({ batch_id: batchId, farm_id: input.farmId, lot: input.lot, material: input.material, quantity: input.quantity ?? null, unit: input.unit ?? null, milked_at: input.milkedAt ?? null, data: JSON.stringify(data) })
        .onConflict((oc) => oc.columns(['batch_id', 'lot']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new BatchError('EXISTS', `lot ${input.lot} is already an input of this batch`, 'body.lot');
      await db.insertInto('audit_log').values({ actor: input.by, action: 'batch.input', entity: 'batch', entity_id: batchId, detail: { lot: input.lot, farm: input.farmId } }).execute();
      traceChanged(null); // every can of the batch shows its inputs (consumer lookup cache)
      return row;
    },
    async addQcReport(batchId: string, input: { result: 'pass' | 'fail'; summary?: string | undefined; fileName: string; contentType: string; content: Buffer; by: string }) {
      const check = QC_TYPES[input.contentType];
      if (!check) throw new BatchError('INVALID', `must be one of ${Object.keys(QC_TYPES).join(', ')}`, 'body.contentType');
      if (!check(input.content)) throw new BatchError('INVALID', `the file is not a ${input.contentType}`, 'body.contentBase64');
      const b = await db.selectFrom('batches').select('id').where('id', '=', batchId).executeTakeFirst();
      if (!b) throw new BatchError('NOT_FOUND', `Batch ${batchId}`);
      const row = await db
        .insertInto('qc_reports')
        .values({ batch_id: batchId, result: input.result, summary: input.summary ?? null, file_name: input.fileName, content_type: input.contentType, sha256: crypto.createHash('sha256').update(input.content).digest('hex'), size_bytes: input.content.length, content: input.content, created_by: input.by })
        .returning(['id', 'result', 'summary', 'file_name', 'content_type', 'sha256', 'size_bytes', 'created_by', 'created_at'])
        .executeTakeFirstOrThrow();
      await db.insertInto('audit_log').values({ actor: input.by, action: 'batch.qc-report', entity: 'batch', entity_id: batchId, detail: { report: row.id, result: input.result, sha256: row.sha256 } }).execute();
      traceChanged(null); // every can of the batch shows its QC reports (consumer lookup cache)
      return row;
    },
    async qcFile(reportId: string) {
      return db.selectFrom('qc_reports').select(['content', 'content_type', 'file_name', 'sha256']).where('id', '=', reportId).executeTakeFirst();
    },
    /** A batch whose sterilisation went out of limits is released only with an override naming the reason (audited). */
    async release(batchId: string, input: { overrideReason?: string | undefined; by: string }) {
      return db.transaction().execute(async (trx) => {
        const b = await trx.selectFrom('batches').selectAll().where('id', '=', batchId).forUpdate().executeTakeFirst();
        if (!b) throw new BatchError('NOT_FOUND', `Batch ${batchId}`);
        if (b.status === 'recalled' || b.status === 'aborted') throw new BatchError('NOT_RELEASABLE', `batch ${b.code} is ${b.status}`);
        const steril = await sterilisation(b, trx);
        let override: { reason: string; by: string; at: string } | null = null;
        if (steril.outOfLimits > 0) {
          if (!input.overrideReason) throw new BatchError('RELEASE_BLOCKED', `batch ${b.code}: ${steril.outOfLimits} steriliser readings went out of limits; releasing it needs an override with a reason`, 'body.overrideReason');
          override = { reason: input.overrideReason, by: input.by, at: new Date().toISOString() };
        }
        await trx.updateTable('batches').set({ status: 'released', ...(override ? { release_override: JSON.stringify(override) } : {}), updated_at: new Date() }).where('id', '=', batchId).execute();
        await trx.insertInto('audit_log').values({ actor: input.by, action: override ? 'batch.release-override' : 'batch.release', entity: 'batch', entity_id: batchId, detail: override ?? {} }).execute();
      }).then(() => {
        traceChanged(null); // the batch's status shows on every can's page (consumer lookup cache)
        return get(batchId);
      });
    },
  };
}

export type BatchService = ReturnType<typeof createBatchService>;
