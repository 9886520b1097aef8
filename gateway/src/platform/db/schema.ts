import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Kysely table types; each matches a migration in ./migrations. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = Record<string, unknown>> = ColumnType<T, string | T | undefined, string | T>;

export type RegionLevel = 'province' | 'city' | 'county';
export type SkuCategory = 'formula' | 'diapers' | 'wipes' | 'baby_food' | 'cots' | 'bags';
export type DiaperSize = 'NB' | 'S' | 'M' | 'L' | 'XL';
export type PartyKind = 'dealer' | 'store' | 'warehouse' | 'factory' | 'farm';
export type Role = 'hq' | 'dealer' | 'store';

export interface RegionsTable {
  code: string;
  name: string;
  level: RegionLevel;
  parent_code: string | null;
  province_code: string;
  lat: number | null;
  lng: number | null;
}

export interface SkusTable {
  id: Generated<string>;
  gtin: string;
  name: string;
  name_en: string | null;
  category: SkuCategory;
  size: DiaperSize | null;
  units_per_case: number;
  pack_sizes: ColumnType<number[], number[] | undefined, number[]>;
  shelf_life_days: number;
  expiry_warning_days: number;
  status: ColumnType<'active' | 'discontinued', 'active' | 'discontinued' | undefined>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PartiesTable {
  id: Generated<string>;
  code: string;
  kind: PartyKind;
  name: string;
  tier: 1 | 2 | null;
  parent_id: string | null;
  region_code: string;
  gln: string | null;
  lat: number | null;
  lng: number | null;
  chain: string | null;
  warehouse_kind: 'central' | 'regional' | null;
  status: ColumnType<'active' | 'suspended' | 'closed', 'active' | 'suspended' | 'closed' | undefined>;
  attributes: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DevicesTable {
  id: Generated<string>;
  code: string;
  kind: 'edge-agent' | 'scanner' | 'plc';
  name: string;
  site_id: string;
  parent_id: string | null;
  status: ColumnType<'active' | 'revoked', 'active' | 'revoked' | undefined>;
  mqtt_username: string | null;
  mqtt_password_hash: string | null;
  config: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  username: string;
  password_hash: string;
  role: Role;
  party_id: string | null;
  display_name: string;
  disabled: ColumnType<boolean, boolean | undefined>;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  prefix: string;
  key_hash: string;
  name: string;
  role: Role;
  party_id: string | null;
  scopes: string[];
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface MembersTable {
  id: Generated<string>;
  store_id: string;
  name: string;
  phone: string;
  baby_birth_date: ColumnType<string | null, string | null | undefined>;
  region_code: string;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  detail: Json;
}

export interface Database {
  regions: RegionsTable;
  skus: SkusTable;
  parties: PartiesTable;
  devices: DevicesTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  members: MembersTable;
  audit_log: AuditLogTable;
}

export type Region = Selectable<RegionsTable>;
export type Sku = Selectable<SkusTable>;
export type NewSku = Insertable<SkusTable>;
export type SkuUpdate = Updateable<SkusTable>;
export type Party = Selectable<PartiesTable>;
export type NewParty = Insertable<PartiesTable>;
export type Device = Selectable<DevicesTable>;
export type User = Selectable<UsersTable>;
