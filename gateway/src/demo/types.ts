import type { DiaperSize, PartyKind, Role, SkuCategory } from '../platform/db/schema';

/**
 * The demo network as plain data: parties refer to each other by `code`, never by database id, so the same
 * seed gives an identical value on every machine and the seeder decides ids.
 */
export interface DemoParty {
  code: string;
  kind: PartyKind;
  name: string;
  tier: 1 | 2 | null;
  /** Code of the supplying dealer (tier 2: its tier-1 dealer; store: the dealer that supplies it). */
  parent_code: string | null;
  region_code: string;
  gln: string;
  lat: number;
  lng: number;
  chain: string | null;
  warehouse_kind: 'central' | 'regional' | null;
  attributes: Record<string, unknown>;
}

export interface DemoSku {
  gtin: string;
  name: string;
  name_en: string;
  category: SkuCategory;
  size: DiaperSize | null;
  units_per_case: number;
  pack_sizes: number[];
  shelf_life_days: number;
  expiry_warning_days: number;
}

export interface DemoDevice {
  code: string;
  kind: 'edge-agent' | 'scanner' | 'plc';
  name: string;
  site_code: string;
  /** The edge agent a scanner or PLC reports through. */
  parent_code: string | null;
  config: Record<string, unknown>;
}

export interface DemoMember {
  store_code: string;
  name: string;
  /** Masked as 138****1234: the demo holds no real numbers. */
  phone: string;
  baby_birth_date: string;
  region_code: string;
}

export interface DemoUser {
  username: string;
  role: Role;
  party_code: string | null;
  display_name: string;
}

export interface DemoNetwork {
  seed: number;
  /** The day the members' baby birth dates count back from (YYYY-MM-DD). */
  today: string;
  parties: DemoParty[];
  skus: DemoSku[];
  devices: DemoDevice[];
  members: DemoMember[];
  users: DemoUser[];
}
