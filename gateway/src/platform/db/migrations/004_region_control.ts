import { type Kysely, sql } from 'kysely';

/**
 * Region control: authorised regions (versioned), cross-region holds, regional price rules and overrides,
 * diversion and clone alerts with their evidence, workflow notes, webhooks and the dealers' compliance record.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A dealer's authorisation for one GB/T 2260 code over [valid_from, valid_to). Rows are never deleted: a change
    -- ends the old row (valid_to) and adds a new one, so "what was authorised at time t" stays answerable.
    create table region_authorisations (
      id uuid primary key default gen_random_uuid(),
      dealer_id uuid not null references parties(id),
      region_code char(6) not null references regions(code),
      valid_from timestamptz not null,
      valid_to timestamptz,
      shared boolean not null default false,
      version integer not null,
      note text,
      created_by text not null,
      created_at timestamptz not null default now(),
      ended_by text,
      ended_at timestamptz,
      check (valid_to is null or valid_to > valid_from)
    );
    create index region_authorisations_dealer_idx on region_authorisations(dealer_id, valid_from);
    create index region_authorisations_region_idx on region_authorisations(region_code);

    -- Orders and transfers whose delivery address lies outside the dealer's authorised region wait here for HQ.
    create table region_holds (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('order', 'transfer')),
      reference text not null,
      dealer_id uuid not null references parties(id),
      delivery_region_code char(6) not null references regions(code),
      reason text not null,
      status text not null default 'held' check (status in ('held', 'approved', 'rejected')),
      requested_at timestamptz not null default now(),
      decided_by text,
      decided_at timestamptz,
      decision_note text,
      unique (kind, reference)
    );
    create index region_holds_status_idx on region_holds(status, requested_at);

    create table price_rule_sets (
      id uuid primary key default gen_random_uuid(),
      effective_from date not null unique,
      rules jsonb not null,
      note text,
      created_by text not null,
      created_at timestamptz not null default now()
    );

    create table sku_base_prices (
      sku_id uuid not null references skus(id),
      effective_from date not null,
      price_cny numeric(12, 2) not null check (price_cny > 0),
      created_by text not null,
      created_at timestamptz not null default now(),
      primary key (sku_id, effective_from)
    );

    -- Append-only: the latest row per (region, sku, level) in force wins; price_cny null lifts the override.
    create table price_overrides (
      id bigserial primary key,
      region_code char(6) not null references regions(code),
      sku_id uuid not null references skus(id),
      channel_level text not null check (channel_level in ('retail', 'first_tier', 'second_tier', 'store')),
      effective_from date not null,
      price_cny numeric(12, 2) check (price_cny > 0),
      reason text not null,
      created_by text not null,
      created_at timestamptz not null default now()
    );
    create index price_overrides_lookup_idx on price_overrides(sku_id, region_code, channel_level, effective_from);

    create table diversion_settings (
      id smallint primary key default 1 check (id = 1),
      rules jsonb not null,
      updated_by text not null,
      updated_at timestamptz not null default now()
    );

    -- Authorised exceptions (a cross-region promotion): matching scans never open a diversion alert.
    create table diversion_quiet_rules (
      id uuid primary key default gen_random_uuid(),
      dealer_id uuid references parties(id),
      region_code char(6) not null references regions(code),
      batch text,
      gtin char(14),
      valid_from timestamptz not null,
      valid_to timestamptz not null,
      reason text not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      check (valid_to > valid_from)
    );

    create table diversion_alerts (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('diversion', 'clone-velocity', 'clone-excess-scans', 'counterfeit-unissued', 'decommissioned-scan')),
      key text not null,
      status text not null default 'watching' check (status in ('watching', 'open', 'investigating', 'confirmed', 'dismissed')),
      source_dealer_id uuid references parties(id),
      victim_dealer_id uuid references parties(id),
      found_region_code char(6) references regions(code),
      batch text,
      gtin char(14),
      code text,
      dispatch_order_id text,
      distance_km double precision,
      item_count integer not null default 0,
      scan_count integer not null default 0,
      evidence_weight double precision not null default 0,
      first_evidence_at timestamptz not null,
      latest_evidence_at timestamptz not null,
      opened_at timestamptz,
      assignee text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (kind, key)
    );
    create index diversion_alerts_status_idx on diversion_alerts(status, latest_evidence_at desc);
    create index diversion_alerts_source_idx on diversion_alerts(source_dealer_id);
    create index diversion_alerts_victim_idx on diversion_alerts(victim_dealer_id);

    -- One row per scan event that counted towards an alert; the event id makes duplicates count once.
    create table diversion_evidence (
      event_id text primary key,
      alert_id uuid not null references diversion_alerts(id),
      code text not null,
      gtin char(14),
      batch text,
      serial text,
      sscc text,
      biz_step text not null,
      source text not null,
      event_time timestamptz not null,
      region_code char(6),
      located_by text,
      lat double precision,
      lng double precision,
      scanning_party_id uuid,
      device_id uuid,
      item_count integer not null,
      weight double precision not null,
      shipped_to_dealer_id uuid,
      dispatch_order_id text,
      shipped_at timestamptz,
      distance_km double precision,
      recorded_at timestamptz not null default now()
    );
    create index diversion_evidence_alert_idx on diversion_evidence(alert_id, event_time);

    -- Every consumer scan of a serialised code, for the clone signals (speed between scans, scans per code).
    create table consumer_scans (
      event_id text primary key,
      code text not null,
      event_time timestamptz not null,
      region_code char(6),
      lat double precision,
      lng double precision
    );
    create index consumer_scans_code_idx on consumer_scans(code, event_time);

    create table diversion_alert_notes (
      id bigserial primary key,
      alert_id uuid not null references diversion_alerts(id),
      at timestamptz not null default now(),
      author text not null,
      from_status text,
      to_status text,
      assignee text,
      text text
    );
    create index diversion_alert_notes_alert_idx on diversion_alert_notes(alert_id, id);

    create table alert_webhooks (
      id uuid primary key default gen_random_uuid(),
      url text not null,
      secret text not null,
      kinds text[] not null,
      active boolean not null default true,
      created_by text not null,
      created_at timestamptz not null default now()
    );

    -- Fed by confirmed alerts; read by dealer grading (compliance, 10%).
    create table dealer_compliance_records (
      id uuid primary key default gen_random_uuid(),
      dealer_id uuid not null references parties(id),
      alert_id uuid not null unique references diversion_alerts(id),
      kind text not null,
      item_count integer not null,
      points integer not null,
      confirmed_by text not null,
      confirmed_at timestamptz not null default now()
    );
    create index dealer_compliance_dealer_idx on dealer_compliance_records(dealer_id, confirmed_at);

    -- Where the polling feed over the trace core's committed events has got to.
    create table diversion_feed_cursors (
      name text primary key,
      position text not null,
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}
