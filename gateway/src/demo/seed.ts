import crypto from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database, Db } from '../platform/db';
import { importRegions } from '../regions/catalogue';
import { seedRegionControl } from '../region-control/seed';
import { generateDemoNetwork } from './network';
import type { DemoNetwork } from './types';

export interface SeedDemoOptions {
  /** The demo accounts' password. */
  password: string;
  /** Hashes it (the caller passes argon2); called once per account, so each gets its own salt. */
  hashPassword: (pw: string) => Promise<string>;
  log?: Logger;
  /** Generator seed; default 2026. */
  seed?: number;
  /** The day members' birth dates count back from; default today (UTC). */
  today?: Date;
}

export interface SeedDemoResult {
  seeded: boolean;
  /** Rows inserted per table; empty when nothing was seeded. */
  counts: Record<string, number>;
}

/** Rows per multi-row insert: the widest table (parties, 13 columns) stays far below 65,535 parameters. */
const CHUNK = 500;

/** Serialises concurrent seeders (two gateways starting at once) on PostgreSQL. */
const SEED_LOCK = 0x63726164; // 'crad'

/**
 * Fills an empty database with the demo network: regions if missing, then parties, SKUs, devices, members and
 * the five demo users, in one transaction. Does nothing when any party exists, so it is safe on every start.
 */
export async function seedDemoData(db: Db, opts: SeedDemoOptions): Promise<SeedDemoResult> {
  if (await hasParties(db)) {
    opts.log?.debug('demo data: parties exist, not seeding');
    return { seeded: false, counts: {} };
  }
  const started = Date.now();
  const today = (opts.today ?? new Date()).toISOString().slice(0, 10);
  const network = generateDemoNetwork(opts.seed ?? 2026, today);
  const hashes = new Map<string, string>();
  for (const u of network.users) hashes.set(u.username, await opts.hashPassword(opts.password));

  const counts = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${SEED_LOCK})`.execute(trx);
    if (await hasParties(trx)) return undefined; // another seeder won the race
    return insertNetwork(trx, network, hashes);
  });
  if (!counts) return { seeded: false, counts: {} };
  opts.log?.info({ counts, ms: Date.now() - started, seed: network.seed }, 'demo data seeded');
  return { seeded: true, counts };
}

async function hasParties(db: Db | Transaction<Database>): Promise<boolean> {
  return (await db.selectFrom('parties').select('id').limit(1).execute()).length > 0;
}

async function insertNetwork(
  trx: Transaction<Database>,
  network: DemoNetwork,
  passwordHashes: Map<string, string>,
): Promise<Record<string, number>> {
  const regions = await importRegions(trx);

  // Ids are chosen here so rows can refer to each other without a round trip per parent.
  const partyId = new Map(network.parties.map((p) => [p.code, crypto.randomUUID()]));
  const deviceId = new Map(network.devices.map((d) => [d.code, crypto.randomUUID()]));
  const idOf = (ids: Map<string, string>, code: string | null): string | null => {
    if (code === null) return null;
    const id = ids.get(code);
    if (!id) throw new Error(`demo network refers to unknown code ${code}`);
    return id;
  };

  // Parties are listed suppliers first (sites, tier 1, tier 2, stores), so each chunk's parents already exist.
  const parties = network.parties.map((p) => ({
    id: partyId.get(p.code)!,
    code: p.code,
    kind: p.kind,
    name: p.name,
    tier: p.tier,
    parent_id: idOf(partyId, p.parent_code),
    region_code: p.region_code,
    gln: p.gln,
    lat: p.lat,
    lng: p.lng,
    chain: p.chain,
    warehouse_kind: p.warehouse_kind,
    attributes: JSON.stringify(p.attributes),
  }));
  for (const c of chunks(parties)) await trx.insertInto('parties').values(c).execute();
  for (const c of chunks(network.skus)) await trx.insertInto('skus').values(c).execute();
  const devices = network.devices.map((d) => ({
    id: deviceId.get(d.code)!,
    code: d.code,
    kind: d.kind,
    name: d.name,
    site_id: idOf(partyId, d.site_code)!,
    parent_id: idOf(deviceId, d.parent_code),
    config: JSON.stringify(d.config),
  }));
  for (const c of chunks(devices)) await trx.insertInto('devices').values(c).execute();
  const members = network.members.map((m) => ({
    store_id: idOf(partyId, m.store_code)!,
    name: m.name,
    phone: m.phone,
    baby_birth_date: m.baby_birth_date,
    region_code: m.region_code,
  }));
  for (const c of chunks(members)) await trx.insertInto('members').values(c).execute();
  const users = network.users.map((u) => ({
    username: u.username,
    password_hash: passwordHashes.get(u.username)!,
    role: u.role,
    party_id: idOf(partyId, u.party_code),
    display_name: u.display_name,
  }));
  await trx.insertInto('users').values(users).execute();
  const regionControl = await seedRegionControl(trx);

  const kinds = (kind: string) => network.parties.filter((p) => p.kind === kind).length;
  return {
    regions,
    parties: network.parties.length,
    dealers_tier1: network.parties.filter((p) => p.tier === 1).length,
    dealers_tier2: network.parties.filter((p) => p.tier === 2).length,
    stores: kinds('store'),
    warehouses: kinds('warehouse'),
    factories: kinds('factory'),
    farms: kinds('farm'),
    skus: network.skus.length,
    devices: network.devices.length,
    members: network.members.length,
    users: network.users.length,
    ...regionControl,
  };
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
}
