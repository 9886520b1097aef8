import { type Kysely, sql } from 'kysely';
import { dealerReceivables } from '../connectors-runtime/erp';
import type { Database, Db } from '../platform/db';
import { type CreditFigures, round2 } from './model';
import type { OrderParty } from './references';

export interface CreditAccount {
  party_id: string;
  credit_limit: number | null;
  unpaid_invoices: number;
  invoices_as_of: Date | null;
  open_orders: number;
  updated_by: string;
  updated_at: Date;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/**
 * Locks the buyer's credit account for the rest of the transaction (creating it from the master data's limit on
 * first use), so two orders of one buyer are checked one after the other and cannot both fit into the same room.
 */
export async function lockCreditAccount(trx: Kysely<Database>, buyer: OrderParty): Promise<CreditAccount> {
  const r = await sql<CreditAccount>`
    insert into credit_accounts (party_id, credit_limit, updated_by) values (${buyer.id}, ${buyer.creditLimitAttribute}, 'master-data')
    on conflict (party_id) do update set updated_at = credit_accounts.updated_at
    returning *`.execute(trx);
  const a = r.rows[0]!;
  return { ...a, credit_limit: a.credit_limit === null ? null : num(a.credit_limit), unpaid_invoices: num(a.unpaid_invoices), open_orders: num(a.open_orders) };
}

/**
 * What the buyer owes on invoices: the ERPs' receivables (invoices minus payments, synced by the connectors) when the
 * buyer has ERP accounts, else the figure last recorded through the API. Held for 5 s per buyer: the ERP feed is
 * minutes old anyway, and every order of a busy dealer would otherwise ask again.
 */
export function createReceivables(db: Db) {
  const cache = new Map<string, { at: number; value: Promise<number | null> }>();
  return (partyId: string): Promise<number | null> => {
    const hit = cache.get(partyId);
    if (hit && Date.now() - hit.at < 5000) return hit.value;
    const value = dealerReceivables(db, partyId).then((rows) => (rows.length === 0 ? null : Math.round(rows.reduce((s, r) => s + r.outstanding, 0) * 100) / 100));
    cache.set(partyId, { at: Date.now(), value });
    value.catch(() => cache.delete(partyId));
    if (cache.size > 10_000) cache.clear();
    return value;
  };
}

export type Receivables = ReturnType<typeof createReceivables>;

/** Exposure = open orders + unpaid invoices; an order fits when exposure + its total stays within the limit. */
export function creditFigures(a: Pick<CreditAccount, 'credit_limit' | 'unpaid_invoices' | 'open_orders'>, orderTotal: number): CreditFigures & { fits: boolean } {
  const exposure = round2(a.open_orders + a.unpaid_invoices);
  const available = a.credit_limit === null ? null : round2(a.credit_limit - exposure);
  return {
    credit_limit: a.credit_limit,
    unpaid_invoices: a.unpaid_invoices,
    open_orders: a.open_orders,
    exposure,
    order_total: orderTotal,
    available,
    fits: available === null || orderTotal <= available + 1e-9,
  };
}

export async function addOpenOrders(trx: Kysely<Database>, partyId: string, delta: number): Promise<void> {
  if (delta === 0) return;
  await sql`update credit_accounts set open_orders = open_orders + ${delta} where party_id = ${partyId}`.execute(trx);
}

/** The API's side of credit: read an account with its exposure, set a limit, record the ERP's unpaid invoices. */
export function createCreditService(db: Db, receivables: Receivables) {
  async function ensure(party: OrderParty, actor: string) {
    await db.insertInto('credit_accounts').values({ party_id: party.id, credit_limit: party.creditLimitAttribute, updated_by: actor }).onConflict((oc) => oc.column('party_id').doNothing()).execute();
  }
  async function view(party: OrderParty) {
    await ensure(party, 'master-data');
    const a = await db.selectFrom('credit_accounts').selectAll().where('party_id', '=', party.id).executeTakeFirstOrThrow();
    const erp = await receivables(party.id);
    const acct = { credit_limit: a.credit_limit === null ? null : num(a.credit_limit), unpaid_invoices: erp ?? num(a.unpaid_invoices), open_orders: num(a.open_orders) };
    const { fits: _, order_total: __, ...figures } = creditFigures(acct, 0);
    return { party_id: party.id, party_code: party.code, ...figures, invoices_source: erp === null ? 'api' : 'erp', invoices_as_of: erp === null ? a.invoices_as_of : null, updated_by: a.updated_by, updated_at: a.updated_at };
  }
  return {
    view,
    async setLimit(party: OrderParty, limit: number | null, reason: string, actor: string) {
      await ensure(party, actor);
      await db.updateTable('credit_accounts').set({ credit_limit: limit, updated_by: actor, updated_at: new Date() }).where('party_id', '=', party.id).execute();
      await db.insertInto('audit_log').values({ actor, action: 'credit.limit', entity: 'credit_account', entity_id: party.id, detail: { credit_limit: limit, reason } }).execute();
      return view(party);
    },
    /** The ERP's total of the buyer's unpaid invoices as of a time; an older report than the one held is ignored. */
    async setUnpaidInvoices(party: OrderParty, amount: number, asOf: Date, actor: string) {
      await ensure(party, actor);
      await db
        .updateTable('credit_accounts')
        .set({ unpaid_invoices: amount, invoices_as_of: asOf, updated_by: actor, updated_at: new Date() })
        .where('party_id', '=', party.id)
        .where((eb) => eb.or([eb('invoices_as_of', 'is', null), eb('invoices_as_of', '<=', asOf)]))
        .execute();
      return view(party);
    },
  };
}

export type CreditService = ReturnType<typeof createCreditService>;
