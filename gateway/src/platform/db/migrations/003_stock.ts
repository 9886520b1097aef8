import { type Kysely, sql } from 'kysely';

/**
 * The network stock ledger: balances per SKU × batch × location split into on hand / reserved / in transit,
 * every change a movement with an idempotency key, snapshot reconciliations, per-location freshness, and the
 * expiry warnings computed from it. docs/stock.md explains the model.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table stock_reconciliations (
      id bigserial primary key,
      snapshot_key text not null unique,
      source text not null,
      as_of timestamptz not null,
      received_at timestamptz not null default now(),
      location_ids uuid[] not null,
      rows integer not null,
      differences integer not null default 0,
      status text not null check (status in ('applied', 'stale')),
      note text
    );

    create table stock_movements (
      id bigserial primary key,
      idempotency_key text not null unique,
      source text not null,
      reason text not null,
      sku_id uuid not null references skus(id),
      batch text not null,
      expiry_date date,
      location_id uuid not null references parties(id),
      d_on_hand integer not null default 0,
      d_reserved integer not null default 0,
      d_in_transit integer not null default 0,
      occurred_at timestamptz not null,
      recorded_at timestamptz not null default now(),
      -- false: the location's latest snapshot (as of a later time) already counted this movement.
      applied boolean not null default true,
      reference text,
      reconciliation_id bigint references stock_reconciliations(id),
      -- For reconcile adjustments: what the source system's snapshot said (the ledger said snapshot - delta).
      snapshot_on_hand integer,
      snapshot_reserved integer,
      snapshot_in_transit integer
    );
    create index stock_movements_location_time_idx on stock_movements(location_id, occurred_at);
    create index stock_movements_sku_time_idx on stock_movements(sku_id, occurred_at desc);
    create index stock_movements_reconciliation_idx on stock_movements(reconciliation_id) where reconciliation_id is not null;

    create table stock_balances (
      sku_id uuid not null references skus(id),
      location_id uuid not null references parties(id),
      batch text not null,
      expiry_date date,
      on_hand integer not null default 0,
      reserved integer not null default 0,
      in_transit integer not null default 0,
      updated_at timestamptz not null default now(),
      primary key (sku_id, location_id, batch)
    );
    create index stock_balances_location_idx on stock_balances(location_id);
    create index stock_balances_expiry_idx on stock_balances(expiry_date) where on_hand > 0;

    -- How fresh each location's data is, per source system: the source's own time of the latest data we hold.
    create table stock_location_freshness (
      location_id uuid not null references parties(id),
      source text not null,
      data_as_of timestamptz,
      received_at timestamptz,
      last_snapshot_as_of timestamptz,
      primary key (location_id, source)
    );

    -- Expiry warning thresholds: a row per category or per SKU; a SKU row wins, then its category's,
    -- then the SKU's own expiry_warning_days.
    create table stock_expiry_policies (
      id bigserial primary key,
      category text unique check (category in ('formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags')),
      sku_id uuid unique references skus(id),
      warning_days integer not null check (warning_days between 0 and 3650),
      updated_at timestamptz not null default now(),
      updated_by text not null,
      check ((category is null) <> (sku_id is null))
    );

    create table stock_expiry_warnings (
      run_date date not null,
      sku_id uuid not null references skus(id),
      location_id uuid not null references parties(id),
      batch text not null,
      dealer_id uuid references parties(id),
      expiry_date date not null,
      days_left integer not null,
      threshold_days integer not null,
      on_hand integer not null,
      fefo_rank integer not null,
      batches_here integer not null,
      suggestion text not null,
      primary key (run_date, sku_id, location_id, batch)
    );
    create index stock_expiry_warnings_dealer_idx on stock_expiry_warnings(run_date, dealer_id);
    create index stock_expiry_warnings_location_idx on stock_expiry_warnings(run_date, location_id);

    -- Notifications of a warning run, one per recipient ('hq' or a dealer's party id) and day: an outbox
    -- that the notification channels (and the admin console) read.
    create table stock_notifications (
      id bigserial primary key,
      kind text not null,
      run_date date not null,
      recipient text not null,
      title text not null,
      body jsonb not null,
      created_at timestamptz not null default now(),
      unique (kind, run_date, recipient)
    );
  `.execute(db);
}
