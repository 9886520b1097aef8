import { type Kysely, sql } from 'kysely';

/**
 * What the connectors runtime keeps: sync positions, per-record dead letters, sync attempts (health), and the
 * records pulled from ERPs (dealer accounts, invoices, payments) and the MES (production orders, batch records).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table connector_cursors (
      connector text not null,
      stream text not null,
      position text not null,
      updated_at timestamptz not null default now(),
      primary key (connector, stream)
    );

    create table connector_dead_letters (
      id bigserial primary key,
      connector text not null,
      stream text not null,
      record_key text not null,
      record jsonb not null,
      error text not null,
      field_path text,
      received_at timestamptz not null default now(),
      status text not null default 'open' check (status in ('open', 'replayed', 'discarded')),
      resolved_at timestamptz,
      resolved_by text,
      unique (connector, stream, record_key)
    );
    create index connector_dead_letters_open_idx on connector_dead_letters(connector, received_at) where status = 'open';

    create table connector_sync_attempts (
      id bigserial primary key,
      connector text not null,
      stream text not null,
      at timestamptz not null default now(),
      ok boolean not null,
      items integer not null default 0,
      lag_seconds double precision,
      error text
    );
    create index connector_sync_attempts_idx on connector_sync_attempts(connector, at);

    create table erp_dealer_accounts (
      erp text not null,
      customer_no text not null,
      dealer_id uuid references parties(id),
      dealer_code text,
      name text not null,
      credit_limit numeric(14, 2),
      payment_terms_days integer,
      updated_at timestamptz not null default now(),
      primary key (erp, customer_no)
    );

    create table erp_invoices (
      erp text not null,
      invoice_no text not null,
      customer_no text not null,
      issued_on date not null,
      due_on date not null,
      amount numeric(14, 2) not null,
      currency char(3) not null,
      primary key (erp, invoice_no)
    );

    create table erp_payments (
      erp text not null,
      payment_no text not null,
      customer_no text not null,
      invoice_no text,
      paid_on date not null,
      amount numeric(14, 2) not null,
      currency char(3) not null,
      primary key (erp, payment_no)
    );

    create table erp_order_exports (
      erp text not null,
      order_no text not null,
      erp_document_no text not null,
      exported_at timestamptz not null default now(),
      primary key (erp, order_no)
    );

    create table wms_dispatch_tasks (
      task_no text primary key,
      warehouse_id uuid not null references parties(id),
      destination_id uuid not null references parties(id),
      lines jsonb not null,
      status text not null check (status in ('pending', 'sent', 'confirmed')),
      sent_at timestamptz,
      confirmed_at timestamptz,
      created_at timestamptz not null default now()
    );

    create table mes_production_orders (
      mes text not null,
      order_no text not null,
      gtin char(14) not null,
      line text not null,
      planned_qty integer not null,
      status text not null,
      planned_start timestamptz,
      updated_at timestamptz not null default now(),
      primary key (mes, order_no)
    );

    -- Batch records as the MES reports them; trace merges them with the edge agent's OPC-UA readings.
    create table mes_batch_records (
      batch text not null,
      gtin char(14) not null,
      mes text not null,
      production_order text,
      line text not null,
      produced_at timestamptz not null,
      expiry_date date not null,
      quantity integer not null,
      sterilisation_c double precision,
      hold_s double precision,
      filling_room_class integer,
      qc_status text,
      record jsonb not null,
      received_at timestamptz not null default now(),
      primary key (gtin, batch)
    );
  `.execute(db);
}
