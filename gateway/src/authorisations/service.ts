import { sql } from 'kysely';
import type { Db } from '../platform/db';
import { conflict, invalid, notFound } from '../platform/http/problem';
import type { RegionService } from '../regions/service';
import { type Authorisation, type AuthorisationIndex, type EffectiveRegion, loadAuthorisationIndex, toAuthorisation } from './index-of-authorisations';

export interface GrantInput {
  dealerId: string;
  regionCode: string;
  validFrom: Date;
  validTo?: Date | null | undefined;
  /** Allows overlap with another first-tier dealer's region (e.g. a shared city); without it overlap is refused. */
  shared?: boolean | undefined;
  note?: string | undefined;
}

/** Serialises grants on PostgreSQL so two racing grants cannot both pass the overlap check. */
const GRANT_LOCK = 0x61757468; // 'auth'

export interface AuthorisationServiceOptions {
  db: Db;
  regions: RegionService;
  /** How long a loaded index is trusted before it is read again (other gateway replicas may have written). */
  ttlMs?: number;
}

export function createAuthorisationService({ db, regions, ttlMs = 2000 }: AuthorisationServiceOptions) {
  let cached: { at: number; index: Promise<AuthorisationIndex> } | undefined;
  const index = (): Promise<AuthorisationIndex> => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const loading = loadAuthorisationIndex(db, regions);
      cached = { at: Date.now(), index: loading };
      loading.catch(() => (cached = undefined));
    }
    return cached.index;
  };
  const forget = () => (cached = undefined);

  async function grant(input: GrantInput, actor: string): Promise<{ authorisation: Authorisation; overlaps: Authorisation[] }> {
    if (!regions.get(input.regionCode)) throw invalid('body.region_code', `${input.regionCode} is not a GB/T 2260 region code`);
    const validTo = input.validTo ?? null;
    if (validTo && validTo <= input.validFrom) throw invalid('body.valid_to', 'must be after valid_from');
    const result = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${GRANT_LOCK})`.execute(trx);
      const party = await trx.selectFrom('parties').select(['id', 'kind', 'tier']).where('id', '=', input.dealerId).executeTakeFirst();
      if (!party || (party.kind !== 'dealer' && party.kind !== 'store')) throw invalid('body.dealer_id', 'must be a dealer or store');
      const fresh = await loadAuthorisationIndex(trx, regions);
      const own = fresh
        .rowsOf(input.dealerId)
        .filter((a) => a.regionCode === input.regionCode && (a.validTo === null || input.validFrom < a.validTo) && (validTo === null || a.validFrom < validTo));
      if (own.length > 0) {
        throw conflict(`Dealer already holds ${input.regionCode} for part of that time (authorisation ${own[0]!.id})`, {
          errors: [{ field: 'body.region_code', message: 'already authorised for an overlapping time' }],
        });
      }
      const overlaps = party.tier === 1 ? fresh.overlapping(input.regionCode, input.validFrom, validTo, input.dealerId) : [];
      if (overlaps.length > 0 && !input.shared) {
        throw conflict(
          `${input.regionCode} overlaps first-tier dealer authorisations ${overlaps.map((o) => `${o.regionCode} (dealer ${o.dealerId})`).join(', ')}; set shared: true to share it explicitly`,
          { errors: [{ field: 'body.region_code', message: 'overlaps another first-tier dealer' }], overlaps: overlaps.map((o) => ({ id: o.id, dealer_id: o.dealerId, region_code: o.regionCode })) },
        );
      }
      const { max } = await trx
        .selectFrom('region_authorisations')
        .select((eb) => eb.fn.max('version').as('max'))
        .where('dealer_id', '=', input.dealerId)
        .executeTakeFirstOrThrow();
      const row = await trx
        .insertInto('region_authorisations')
        .values({
          dealer_id: input.dealerId,
          region_code: input.regionCode,
          valid_from: input.validFrom,
          valid_to: validTo,
          shared: input.shared ?? false,
          version: Number(max ?? 0) + 1,
          note: input.note ?? null,
          created_by: actor,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('audit_log')
        .values({ actor, action: 'authorisation.grant', entity: 'region_authorisation', entity_id: row.id, detail: { dealer_id: row.dealer_id, region_code: row.region_code, valid_from: row.valid_from, valid_to: row.valid_to, shared: row.shared } })
        .execute();
      return { authorisation: toAuthorisation(row), overlaps };
    });
    forget();
    return result;
  }

  /** Ends an authorisation at `validTo` (the row is kept, so scans of goods shipped before stay judged by it). */
  async function end(id: string, validTo: Date, actor: string): Promise<Authorisation> {
    const row = await db.selectFrom('region_authorisations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`Authorisation ${id}`);
    if (validTo <= new Date(row.valid_from)) throw invalid('body.valid_to', 'must be after the authorisation\'s valid_from');
    if (row.valid_to && validTo >= new Date(row.valid_to)) throw invalid('body.valid_to', 'must be before the current end; grant a new authorisation to extend');
    const { max } = await db.selectFrom('region_authorisations').select((eb) => eb.fn.max('version').as('max')).where('dealer_id', '=', row.dealer_id).executeTakeFirstOrThrow();
    const updated = await db
      .updateTable('region_authorisations')
      .set({ valid_to: validTo, ended_by: actor, ended_at: new Date(), version: Number(max ?? 0) + 1 })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await db.insertInto('audit_log').values({ actor, action: 'authorisation.end', entity: 'region_authorisation', entity_id: id, detail: { previous_valid_to: row.valid_to, valid_to: validTo } }).execute();
    forget();
    return toAuthorisation(updated);
  }

  async function effectiveAt(partyId: string, at: Date): Promise<EffectiveRegion> {
    return (await index()).effectiveAt(partyId, at);
  }

  async function history(partyId: string): Promise<Authorisation[]> {
    const rows = await db.selectFrom('region_authorisations').selectAll().where('dealer_id', '=', partyId).orderBy('version').execute();
    return rows.map(toAuthorisation);
  }

  async function list(filter: { dealerIds?: string[] | null; at?: Date | undefined; region?: string | undefined; limit: number; offset: number }) {
    let q = db.selectFrom('region_authorisations');
    if (filter.dealerIds) q = q.where('dealer_id', 'in', filter.dealerIds.length ? filter.dealerIds : ['00000000-0000-0000-0000-000000000000']);
    if (filter.at) {
      const at = filter.at;
      q = q.where('valid_from', '<=', at).where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', at)]));
    }
    if (filter.region) q = q.where('region_code', '=', filter.region);
    const [rows, total] = await Promise.all([
      q.selectAll().orderBy('created_at').orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toAuthorisation), total: Number(total.n) };
  }

  return { grant, end, effectiveAt, history, list, index, forget };
}

export type AuthorisationService = ReturnType<typeof createAuthorisationService>;
