import { type Kysely, sql } from 'kysely';

/**
 * Ordering: orders with idempotency keys and prices frozen per line, their state history, the stock reserved for
 * them (per location and batch), promotions as data, shelf-life rules per customer level, credit accounts,
 * serving warehouses, dispatch scans and order webhooks. docs/ordering.md explains the model.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table orders (
      id uuid primary key default gen_random_uuid(),
      number bigserial not null unique,
      buyer_id uuid not null references parties(id),
      -- null: the brand (HQ) sells, from its warehouses; else the first-tier dealer (or distributor) that supplies the buyer.
      seller_id uuid references parties(id),
      price_level text not null check (price_level in ('first_tier', 'second_tier', 'store')),
      price_region_code char(6) not null,
      priced_on date not null,
      price_rules_from date not null,
      idempotency_key text not null,
      request_hash text not null,
      state text not null check (state in ('draft', 'submitted', 'held', 'approved', 'allocated', 'picking', 'dispatched', 'delivered', 'closed', 'cancelled')),
      hold_reasons text[] not null default '{}',
      hold_detail jsonb,
      delivery_region_code char(6) not null,
      delivery_address text not null,
      currency char(3) not null default 'CNY',
      total numeric(14, 2) not null,
      -- What this order currently adds to its buyer's credit exposure (its total from approval until delivery).
      exposure numeric(14, 2) not null default 0,
      note text,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (buyer_id, idempotency_key)
    );
    create index orders_buyer_idx on orders(buyer_id, created_at desc);
    create index orders_seller_idx on orders(seller_id, created_at desc);
    create index orders_state_idx on orders(state, created_at desc);

    create table order_lines (
      order_id uuid not null references orders(id),
      line_no integer not null,
      sku_id uuid not null references skus(id),
      gtin char(14) not null,
      quantity integer not null check (quantity > 0),
      -- Units given free by a promotion: shipped and allocated like the rest, priced at zero.
      free_quantity integer not null default 0 check (free_quantity >= 0),
      unit_price numeric(12, 2) not null,
      line_total numeric(14, 2) not null,
      promotion_code text,
      allocated integer not null default 0,
      dispatched integer not null default 0,
      received integer not null default 0,
      primary key (order_id, line_no)
    );

    -- Stock reserved for a line at one location and batch; released on cancel, consumed on dispatch.
    create table order_allocations (
      id bigserial primary key,
      order_id uuid not null references orders(id),
      line_no integer not null,
      sku_id uuid not null references skus(id),
      location_id uuid not null references parties(id),
      batch text not null,
      expiry_date date,
      quantity integer not null check (quantity > 0),
      state text not null default 'reserved' check (state in ('reserved', 'released', 'dispatched')),
      reservation_key text not null unique,
      created_at timestamptz not null default now()
    );
    create index order_allocations_order_idx on order_allocations(order_id);

    -- Every transition: who, when, why.
    create table order_events (
      id bigserial primary key,
      order_id uuid not null references orders(id),
      from_state text,
      to_state text not null,
      actor text not null,
      at timestamptz not null default now(),
      reason text,
      detail jsonb
    );
    create index order_events_order_idx on order_events(order_id, id);

    create table order_promotions (
      id bigserial primary key,
      code text not null unique,
      name text not null,
      sku_id uuid references skus(id),
      category text,
      buy_quantity integer not null check (buy_quantity > 0),
      free_quantity integer not null check (free_quantity > 0),
      price_levels text[] not null,
      valid_from date not null,
      valid_to date,
      created_by text not null,
      created_at timestamptz not null default now(),
      check ((sku_id is null) <> (category is null))
    );

    -- The shortest shelf life left a customer level accepts, per category: never allocate a batch closer to expiry.
    create table order_expiry_rules (
      price_level text not null check (price_level in ('first_tier', 'second_tier', 'store')),
      category text not null,
      min_days_left integer not null check (min_days_left between 0 and 3650),
      updated_by text not null default 'migration',
      updated_at timestamptz not null default now(),
      primary key (price_level, category)
    );
    insert into order_expiry_rules (price_level, category, min_days_left) values
      ('first_tier', 'formula', 240), ('second_tier', 'formula', 210), ('store', 'formula', 180),
      ('first_tier', 'baby_food', 150), ('second_tier', 'baby_food', 120), ('store', 'baby_food', 90),
      ('first_tier', 'diapers', 240), ('second_tier', 'diapers', 210), ('store', 'diapers', 180),
      ('first_tier', 'wipes', 150), ('second_tier', 'wipes', 120), ('store', 'wipes', 90),
      ('first_tier', 'cots', 0), ('second_tier', 'cots', 0), ('store', 'cots', 0),
      ('first_tier', 'bags', 0), ('second_tier', 'bags', 0), ('store', 'bags', 0);

    -- A buyer's credit: limit (null = no credit line: prepaid, not checked), unpaid invoices as the ERP last reported
    -- them, and the open orders' total kept in step with the orders.
    create table credit_accounts (
      party_id uuid primary key references parties(id),
      credit_limit numeric(14, 2),
      unpaid_invoices numeric(14, 2) not null default 0,
      invoices_as_of timestamptz,
      open_orders numeric(14, 2) not null default 0,
      updated_by text not null,
      updated_at timestamptz not null default now()
    );

    -- The warehouse that serves a first-tier dealer first; without a row, the nearest warehouse does.
    create table order_serving_warehouses (
      buyer_id uuid primary key references parties(id),
      warehouse_id uuid not null references parties(id),
      updated_by text not null,
      updated_at timestamptz not null default now()
    );

    -- Cases scanned on the dispatch line for an order (one row per case code), and their comparison to the order.
    create table order_dispatch_scans (
      order_id uuid not null references orders(id),
      case_code text not null,
      gtin char(14) not null,
      batch text not null,
      units integer not null check (units > 0),
      location_id uuid references parties(id),
      device text,
      scanned_at timestamptz not null,
      recorded_at timestamptz not null default now(),
      primary key (order_id, case_code)
    );

    create table order_webhooks (
      id uuid primary key default gen_random_uuid(),
      -- null: HQ's (every order); else the party whose orders (as buyer or seller) it receives.
      party_id uuid references parties(id),
      url text not null,
      secret text not null,
      events text[] not null,
      active boolean not null default true,
      created_by text not null,
      created_at timestamptz not null default now()
    );
    create table order_webhook_deliveries (
      event_id bigint not null references order_events(id),
      webhook_id uuid not null references order_webhooks(id),
      status text not null check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      last_status integer,
      last_error text,
      delivered_at timestamptz,
      primary key (event_id, webhook_id)
    );
  `.execute(db);
}
