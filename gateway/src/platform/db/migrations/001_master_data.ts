import { type Kysely, sql } from 'kysely';

/** Master data and identity: regions (GB/T 2260), SKUs, parties, devices, users, API keys, members, audit. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table regions (
      code char(6) primary key,
      name text not null,
      level text not null check (level in ('province', 'city', 'county')),
      parent_code char(6) references regions(code),
      province_code char(6) not null,
      lat double precision,
      lng double precision
    );
    create index regions_parent_idx on regions(parent_code);
    create index regions_level_idx on regions(level);

    create table skus (
      id uuid primary key default gen_random_uuid(),
      gtin char(14) not null unique,
      name text not null,
      name_en text,
      category text not null check (category in ('formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags')),
      size text check (size in ('NB', 'S', 'M', 'L', 'XL')),
      units_per_case integer not null check (units_per_case > 0),
      pack_sizes integer[] not null default '{1}',
      shelf_life_days integer not null check (shelf_life_days > 0),
      expiry_warning_days integer not null check (expiry_warning_days >= 0),
      status text not null default 'active' check (status in ('active', 'discontinued')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index skus_category_idx on skus(category, gtin);

    create table parties (
      id uuid primary key default gen_random_uuid(),
      code text not null unique,
      kind text not null check (kind in ('dealer', 'store', 'warehouse', 'factory', 'farm')),
      name text not null,
      tier smallint check (tier in (1, 2)),
      parent_id uuid references parties(id),
      region_code char(6) not null references regions(code),
      gln char(13) unique,
      lat double precision check (lat between -90 and 90),
      lng double precision check (lng between -180 and 180),
      chain text,
      warehouse_kind text check (warehouse_kind in ('central', 'regional')),
      status text not null default 'active' check (status in ('active', 'suspended', 'closed')),
      attributes jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((kind = 'dealer') = (tier is not null))
    );
    -- Each first-tier dealer is bound to a unique region code (DOMAIN.md).
    create unique index parties_tier1_region_uq on parties(region_code) where kind = 'dealer' and tier = 1;
    create index parties_kind_idx on parties(kind, code);
    create index parties_parent_idx on parties(parent_id);
    create index parties_region_idx on parties(region_code);

    create table devices (
      id uuid primary key default gen_random_uuid(),
      code text not null unique,
      kind text not null check (kind in ('edge-agent', 'scanner', 'plc')),
      name text not null,
      site_id uuid not null references parties(id),
      parent_id uuid references devices(id),
      status text not null default 'active' check (status in ('active', 'revoked')),
      mqtt_username text unique,
      mqtt_password_hash text,
      config jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index devices_site_idx on devices(site_id);

    create table users (
      id uuid primary key default gen_random_uuid(),
      username text not null unique,
      password_hash text not null,
      role text not null check (role in ('hq', 'dealer', 'store')),
      party_id uuid references parties(id),
      display_name text not null,
      disabled boolean not null default false,
      created_at timestamptz not null default now(),
      check ((role = 'hq') = (party_id is null))
    );

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      prefix text not null unique,
      key_hash text not null,
      name text not null,
      role text not null check (role in ('hq', 'dealer', 'store')),
      party_id uuid references parties(id),
      scopes text[] not null,
      created_by uuid references users(id),
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    create table members (
      id uuid primary key default gen_random_uuid(),
      store_id uuid not null references parties(id),
      name text not null,
      phone text not null,
      baby_birth_date date,
      region_code char(6) not null references regions(code),
      created_at timestamptz not null default now()
    );
    create index members_store_idx on members(store_id);

    create table audit_log (
      id bigserial primary key,
      at timestamptz not null default now(),
      actor text not null,
      action text not null,
      entity text not null,
      entity_id text,
      detail jsonb not null default '{}'
    );
  `.execute(db);
}
