import { type Kysely, sql } from 'kysely';

/**
 * Traceability: issued codes and their lifecycle, batches and production records, the EPCIS event repository,
 * the MQTT ingest ledger (idempotency, per-device sequence gaps, device problems), anomalies, dispatch bindings
 * and consumer scans. Owned by the trace areas (codes/, batches/, ingest/, epcis/, trace/, consumer/).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A production lot of one GTIN at one factory; the unit of recall.
    create table batches (
      id uuid primary key default gen_random_uuid(),
      gtin char(14) not null,
      code text not null,
      factory_id uuid references parties(id),
      line text,
      production_date date,
      expiry_date date,
      status text not null default 'open' check (status in ('open', 'completed', 'held', 'released', 'aborted', 'recalled')),
      release_override jsonb,
      details jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (gtin, code)
    );
    create index batches_code_idx on batches(code);

    -- Raw-material lots that went into a batch, with the farm's data at the time (location, feed, milking time).
    create table batch_inputs (
      id uuid primary key default gen_random_uuid(),
      batch_id uuid not null references batches(id),
      farm_id uuid references parties(id),
      lot text not null,
      material text not null,
      quantity double precision,
      unit text,
      milked_at timestamptz,
      data jsonb not null default '{}',
      created_at timestamptz not null default now(),
      unique (batch_id, lot)
    );

    -- Steriliser readings from the edge agents (MQTT "reading"), keyed by the source event id.
    create table batch_readings (
      source_id uuid primary key,
      site_id uuid not null references parties(id),
      device_code text not null,
      batch_code text,
      name text not null,
      value double precision not null,
      unit text not null,
      quality text not null,
      out_of_limits boolean not null default false,
      limits jsonb,
      at timestamptz not null
    );
    create index batch_readings_batch_idx on batch_readings(batch_code, site_id, at);

    create table qc_reports (
      id uuid primary key default gen_random_uuid(),
      batch_id uuid not null references batches(id),
      result text not null check (result in ('pass', 'fail')),
      summary text,
      file_name text not null,
      content_type text not null,
      sha256 char(64) not null,
      size_bytes integer not null,
      content bytea not null,
      created_by text not null,
      created_at timestamptz not null default now()
    );
    create index qc_reports_batch_idx on qc_reports(batch_id, created_at);

    -- One request for N codes (HQ or a factory line); the idempotency key makes a retried request return the same codes.
    create table code_requests (
      id uuid primary key default gen_random_uuid(),
      idempotency_key text not null unique,
      kind text not null check (kind in ('item', 'case', 'pallet')),
      gtin char(14),
      batch_code text,
      quantity integer not null check (quantity > 0),
      requested_by text not null,
      created_at timestamptz not null default now()
    );

    -- Every issued code (can SGTIN, case or pallet SSCC) and its current lifecycle state.
    create table codes (
      epc text primary key,
      kind text not null check (kind in ('item', 'case', 'pallet')),
      gtin char(14),
      serial text,
      sscc char(18),
      batch_code text,
      request_id uuid references code_requests(id),
      state text not null default 'issued' check (state in ('issued', 'commissioned', 'shipped', 'received', 'sold', 'decommissioned')),
      parent_epc text,
      order_id text,
      shipped_to uuid references parties(id),
      holder_id uuid references parties(id),
      commissioned_at timestamptz,
      last_event_at timestamptz,
      issued_at timestamptz not null default now()
    );
    create unique index codes_sgtin_uq on codes(gtin, serial) where serial is not null;
    create index codes_parent_idx on codes(parent_epc) where parent_epc is not null;
    create index codes_shipped_to_idx on codes(shipped_to) where shipped_to is not null;
    create index codes_batch_idx on codes(gtin, batch_code);
    create sequence sscc_serial_ref;

    -- The EPCIS 2.0 repository: each event once, by eventID and by its GS1 event hash.
    create table epcis_events (
      pk bigserial primary key,
      event_id text not null unique,
      event_hash text not null unique,
      source_id uuid,
      type text not null,
      action text,
      event_time timestamptz not null,
      record_time timestamptz not null default now(),
      biz_step text,
      disposition text,
      read_point text,
      biz_location text,
      doc jsonb not null
    );
    create index epcis_events_time_idx on epcis_events(event_time);
    create index epcis_events_step_idx on epcis_events(biz_step, pk);
    create index epcis_events_location_idx on epcis_events(biz_location, pk);
    create index epcis_events_source_idx on epcis_events(source_id) where source_id is not null;

    -- What an event is about, for the query parameters: epc, parentID, childEPC, inputEPC, outputEPC, epcClass,
    -- bizTransaction:{type}, source:{type}, destination:{type}.
    create table epcis_event_keys (
      event_pk bigint not null references epcis_events(pk),
      kind text not null,
      value text not null,
      primary key (value, kind, event_pk)
    );
    create index epcis_event_keys_event_idx on epcis_event_keys(event_pk);

    -- Invalid transitions recorded with their evidence instead of being applied.
    create table anomalies (
      id bigserial primary key,
      kind text not null,
      epc text,
      event_pk bigint references epcis_events(pk),
      source_id uuid,
      detail text not null,
      evidence jsonb not null default '{}',
      detected_at timestamptz not null default now()
    );
    create index anomalies_epc_idx on anomalies(epc);
    create index anomalies_kind_idx on anomalies(kind, id);

    -- Dispatch order → destination party; ordering (a later area) fills this, a command or the API does until then.
    create table dispatch_bindings (
      order_id text primary key,
      destination_id uuid not null references parties(id),
      source_site_id uuid references parties(id),
      created_by text not null,
      created_at timestamptz not null default now()
    );

    -- Idempotency ledger of MQTT messages (source event id made on the device).
    create table ingest_messages (
      source_id uuid primary key,
      device_code text not null,
      channel text not null,
      seq bigint not null,
      received_at timestamptz not null default now()
    );

    -- Per device: sequence high-water mark, counts and last status.
    create table device_streams (
      device_code text primary key,
      site_code text not null,
      max_seq bigint not null default 0,
      received bigint not null default 0,
      rejected bigint not null default 0,
      missing bigint not null default 0,
      last_status text,
      last_status_detail jsonb,
      last_status_at timestamptz,
      last_seen_at timestamptz
    );

    -- Holes in a device's sequence; 'filled' counts late arrivals inside the hole.
    create table device_seq_gaps (
      id bigserial primary key,
      device_code text not null,
      from_seq bigint not null,
      to_seq bigint not null,
      filled bigint not null default 0,
      detected_at timestamptz not null default now()
    );
    create index device_seq_gaps_device_idx on device_seq_gaps(device_code, from_seq);

    -- Messages refused or reads rejected at the source, shown in the device's status.
    create table device_problems (
      id bigserial primary key,
      device_code text not null,
      site_code text,
      kind text not null,
      detail text not null,
      topic text,
      source_id uuid,
      at timestamptz not null default now()
    );
    create index device_problems_device_idx on device_problems(device_code, id);

    -- Each consumer query of a code (the trace page): the authenticity count, and input for the diversion rules.
    -- (Named apart from the diversion area's own consumer_scans table.)
    create table consumer_queries (
      id uuid primary key default gen_random_uuid(),
      epc text not null,
      at timestamptz not null default now(),
      lat double precision,
      lng double precision,
      region_code char(6),
      province_code char(6),
      client_hash text,
      user_agent text
    );
    create index consumer_queries_epc_idx on consumer_queries(epc, at);

    create table epcis_capture_jobs (
      id uuid primary key default gen_random_uuid(),
      status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
      document jsonb,
      captured integer not null default 0,
      duplicates integer not null default 0,
      errors jsonb not null default '[]',
      created_by text not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz
    );
  `.execute(db);
}
