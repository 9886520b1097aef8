import { generateSerial, generateSscc, isValidGtin } from '@cradle/protocol';
import { sql } from 'kysely';
import type { Db } from '../platform/db';
import type { CodeKind } from '../platform/db/schema';
import { COMPANY_PREFIX_LENGTH, sgtinEpc, ssccEpc } from '../trace/epc';

export const MAX_CODES_PER_REQUEST = 100_000;
const CHUNK = 5000;

export interface IssueRequest {
  idempotencyKey: string;
  kind: CodeKind;
  /** The can's GTIN (items); for cases and pallets, the GTIN whose company prefix the SSCCs take (optional). */
  gtin?: string | undefined;
  batchCode?: string | undefined;
  quantity: number;
  requestedBy: string;
}

export interface CodeRequest {
  id: string;
  idempotency_key: string;
  kind: CodeKind;
  gtin: string | null;
  batch_code: string | null;
  quantity: number;
  requested_by: string;
  created_at: Date;
}

export class CodeIssueError extends Error {
  override name = 'CodeIssueError';
  constructor(
    readonly code: 'UNKNOWN_GTIN' | 'IDEMPOTENCY_CONFLICT' | 'NO_COMPANY_PREFIX' | 'INVALID_REQUEST',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** SSCC extension digit by logistic unit, so case and pallet serial references never meet. */
const EXTENSION: Record<'case' | 'pallet', number> = { case: 0, pallet: 1 };

/**
 * Issues N codes in one transaction: unguessable serials (protocol/ generateSerial: ≥ 64 bits from the CSPRNG) for
 * cans, SSCCs from a database sequence for cases and pallets. Idempotent on the request's key: a retry returns the
 * first request and its codes; the same key with other parameters is a conflict. Audited.
 */
export async function issueCodes(db: Db, req: IssueRequest): Promise<{ request: CodeRequest; created: boolean }> {
  if (!Number.isInteger(req.quantity) || req.quantity < 1 || req.quantity > MAX_CODES_PER_REQUEST) {
    throw new CodeIssueError('INVALID_REQUEST', `quantity must be 1 to ${MAX_CODES_PER_REQUEST}`, 'body.quantity');
  }
  if (req.kind === 'item' && !req.gtin) throw new CodeIssueError('INVALID_REQUEST', 'items need the GTIN they are issued for', 'body.gtin');
  if (req.gtin && !isValidGtin(req.gtin)) throw new CodeIssueError('INVALID_REQUEST', 'is not a valid GTIN-14', 'body.gtin');
  return db.transaction().execute(async (trx) => {
    // Serialise requests with the same key, so two racing retries issue once.
    await sql`select pg_advisory_xact_lock(hashtext(${req.idempotencyKey}))`.execute(trx);
    const existing = await trx.selectFrom('code_requests').selectAll().where('idempotency_key', '=', req.idempotencyKey).executeTakeFirst();
    if (existing) {
      const same = existing.kind === req.kind && existing.quantity === req.quantity && (existing.gtin ?? undefined) === req.gtin && (existing.batch_code ?? undefined) === req.batchCode;
      if (!same) throw new CodeIssueError('IDEMPOTENCY_CONFLICT', `idempotency key ${req.idempotencyKey} was used for a different request (${existing.quantity} ${existing.kind} codes, GTIN ${existing.gtin ?? '-'}, batch ${existing.batch_code ?? '-'})`, 'body.idempotencyKey');
      return { request: existing as CodeRequest, created: false };
    }
    let companyPrefix: string | undefined;
    if (req.gtin) {
      const sku = await trx.selectFrom('skus').select('gtin').where('gtin', '=', req.gtin).executeTakeFirst();
      if (!sku) throw new CodeIssueError('UNKNOWN_GTIN', `GTIN ${req.gtin} is not in the catalogue`, 'body.gtin');
      companyPrefix = req.gtin.slice(1, 1 + COMPANY_PREFIX_LENGTH);
    } else {
      const any = await trx.selectFrom('skus').select('gtin').orderBy('gtin').limit(1).executeTakeFirst();
      if (!any) throw new CodeIssueError('NO_COMPANY_PREFIX', 'the catalogue is empty, so there is no company prefix for SSCCs', 'body.gtin');
      companyPrefix = any.gtin.slice(1, 1 + COMPANY_PREFIX_LENGTH);
    }
    const request = (await trx
      .insertInto('code_requests')
      .values({ idempotency_key: req.idempotencyKey, kind: req.kind, gtin: req.gtin ?? null, batch_code: req.batchCode ?? null, quantity: req.quantity, requested_by: req.requestedBy })
      .returningAll()
      .executeTakeFirstOrThrow()) as CodeRequest;

    let issued = 0;
    while (issued < req.quantity) {
      const n = Math.min(CHUNK, req.quantity - issued);
      const rows: { epc: string; kind: CodeKind; gtin: string | null; serial: string | null; sscc: string | null }[] = [];
      if (req.kind === 'item') {
        for (let i = 0; i < n; i++) {
          const serial = generateSerial({ alphabet: 'alphanumeric' });
          rows.push({ epc: sgtinEpc(req.gtin!, serial)!, kind: 'item', gtin: req.gtin!, serial, sscc: null });
        }
      } else {
        const refs = await sql<{ ref: string | number }>`select nextval('sscc_serial_ref') as ref from generate_series(1, ${n}::int)`.execute(trx);
        for (const r of refs.rows) {
          const sscc = generateSscc(companyPrefix, String(r.ref), EXTENSION[req.kind]);
          if (!sscc.ok) throw new CodeIssueError('INVALID_REQUEST', sscc.error.message);
          rows.push({ epc: ssccEpc(sscc.value)!, kind: req.kind, gtin: req.gtin ?? null, serial: null, sscc: sscc.value });
        }
      }
      const ins = await sql<{ n: number }>`
        with ins as (
          insert into codes (epc, kind, gtin, serial, sscc, batch_code, request_id)
          select epc, kind, gtin, serial, sscc, ${req.batchCode ?? null}, ${request.id}::uuid
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(epc text, kind text, gtin text, serial text, sscc text)
          on conflict do nothing returning 1)
        select count(*)::int as n from ins`.execute(trx);
      // A serial collision (2^-64 per pair) only costs a retry of the missing ones.
      issued += ins.rows[0]?.n ?? 0;
    }
    await trx
      .insertInto('audit_log')
      .values({ actor: req.requestedBy, action: 'codes.issue', entity: 'code_request', entity_id: request.id, detail: { kind: req.kind, gtin: req.gtin ?? null, batch: req.batchCode ?? null, quantity: req.quantity } })
      .execute();
    return { request, created: true };
  });
}
