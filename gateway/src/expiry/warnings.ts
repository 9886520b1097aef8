import { sql } from 'kysely';
import type { Db } from '../platform/db';

export interface WarningRun {
  runDate: string;
  warnings: number;
  units: number;
  notifications: number;
}

/**
 * Flags every position whose remaining shelf life is under its threshold (a SKU's own policy, else its
 * category's, else the SKU's expiry_warning_days: formula is flagged 6 months ahead, DOMAIN.md) and suggests
 * first-expiry-first-out: within a location, the earliest-expiring batch goes first. Re-running a day replaces
 * that day's warnings and updates its notifications, so the job is idempotent.
 */
export async function runExpiryWarnings(db: Db, runDate: string): Promise<WarningRun> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('stock_expiry_warnings').where('run_date', '=', runDate).execute();
    await sql`
      with thresholds as (
        select s.id as sku_id, coalesce(ps.warning_days, pc.warning_days, s.expiry_warning_days) as days
        from skus s
        left join stock_expiry_policies ps on ps.sku_id = s.id
        left join stock_expiry_policies pc on pc.category = s.category
      ),
      positions as (
        select b.sku_id, b.location_id, b.batch, b.expiry_date, b.on_hand, t.days as threshold_days,
               (b.expiry_date - ${runDate}::date) as days_left,
               row_number() over (partition by b.sku_id, b.location_id order by b.expiry_date, b.batch)::int as fefo_rank,
               count(*) over (partition by b.sku_id, b.location_id)::int as batches_here
        from stock_balances b join thresholds t on t.sku_id = b.sku_id
        where b.on_hand > 0 and b.expiry_date is not null
      )
      insert into stock_expiry_warnings (run_date, sku_id, location_id, batch, dealer_id, expiry_date, days_left, threshold_days, on_hand, fefo_rank, batches_here, suggestion)
      select ${runDate}::date, p.sku_id, p.location_id, p.batch,
             case l.kind when 'dealer' then l.id when 'store' then l.parent_id end,
             p.expiry_date, p.days_left, p.threshold_days, p.on_hand, p.fefo_rank, p.batches_here,
             case
               when p.days_left < 0 then 'expired: block it from sale and write it off'
               when p.fefo_rank = 1 and p.batches_here > 1 then 'pick this batch first (first-expiry-first-out): it expires before the other ' || (p.batches_here - 1) || ' batch(es) here'
               when p.fefo_rank = 1 then 'pick this batch first (first-expiry-first-out); sell it down or transfer it to a faster-selling location'
               else 'pick it after the ' || (p.fefo_rank - 1) || ' earlier-expiring batch(es) here (first-expiry-first-out)'
             end
      from positions p join parties l on l.id = p.location_id
      where p.threshold_days > 0 and p.days_left < p.threshold_days`.execute(trx);

    // One notification per dealer (its own locations and its stores) and one for HQ (the whole network).
    const summaries = await sql<{ recipient: string; warnings: number; units: number; locations: number; earliest: string; expired: number }>`
      select dealer_id::text as recipient, count(*)::int as warnings, sum(on_hand)::int as units, count(distinct location_id)::int as locations,
             min(expiry_date)::text as earliest, (count(*) filter (where days_left < 0))::int as expired
      from stock_expiry_warnings where run_date = ${runDate}::date and dealer_id is not null group by dealer_id
      union all
      select 'hq', count(*)::int, coalesce(sum(on_hand), 0)::int, count(distinct location_id)::int, min(expiry_date)::text, (count(*) filter (where days_left < 0))::int
      from stock_expiry_warnings where run_date = ${runDate}::date`.execute(trx);
    let notifications = 0;
    for (const r of summaries.rows) {
      if (r.warnings === 0) continue;
      const scope = r.recipient === 'hq' ? 'the network' : 'your locations and stores';
      await trx
        .insertInto('stock_notifications')
        .values({
          kind: 'expiry-warning',
          run_date: runDate,
          recipient: r.recipient,
          title: `${r.warnings} near-expiry batch position(s), ${r.units} unit(s) at ${r.locations} location(s) in ${scope}`,
          body: { warnings: r.warnings, units: r.units, locations: r.locations, earliest_expiry: r.earliest, expired: r.expired },
        })
        .onConflict((oc) => oc.columns(['kind', 'run_date', 'recipient']).doUpdateSet((eb) => ({ title: eb.ref('excluded.title'), body: eb.ref('excluded.body'), created_at: new Date() })))
        .execute();
      notifications++;
    }
    const total = summaries.rows.find((r) => r.recipient === 'hq');
    return { runDate, warnings: total?.warnings ?? 0, units: total?.units ?? 0, notifications };
  });
}
