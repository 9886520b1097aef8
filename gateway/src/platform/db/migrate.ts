import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m001 from './migrations/001_master_data';
import * as m002 from './migrations/002_trace';
import * as m003 from './migrations/003_stock';
import * as m003x from './migrations/003x_connectors';
import * as m004 from './migrations/004_region_control';
import * as m005 from './migrations/005_orders';
import * as m005x from './migrations/005x_dispatch';
import * as m006 from './migrations/006_order_placement';
import * as m007 from './migrations/007_consumer_query_feed';
import * as m008 from './migrations/008_consumer_trace_reads';
import * as m009 from './migrations/009_epcis_events_source_index';
import * as m010 from './migrations/010_epcis_key_query';
import * as m011 from './migrations/011_codes_fillfactor';
import * as m012 from './migrations/012_order_placement_cost';
import * as m013 from './migrations/013_codes_party_checks';
import * as m014 from './migrations/014_order_path_sku_checks';
import * as m015 from './migrations/015_epcis_own_event_ids';
import * as m016 from './migrations/016_order_key_lookup';
import * as m017 from './migrations/017_event_keys_check';
import * as m018 from './migrations/018_epcis_key_queries_batched';

/**
 * Migrations are plain, ordered, forward-only modules listed here (a static list, so bundlers and tsx
 * find them without scanning the file system). Add new ones at the end; never edit a released one.
 */
export const migrations: Record<string, Migration> = {
  '001_master_data': m001,
  '002_trace': m002,
  '003_stock': m003,
  '003x_connectors': m003x,
  '004_region_control': m004,
  '005_orders': m005,
  '005x_dispatch': m005x,
  '006_order_placement': m006,
  '007_consumer_query_feed': m007,
  '008_consumer_trace_reads': m008,
  '009_epcis_events_source_index': m009,
  '010_epcis_key_query': m010,
  '011_codes_fillfactor': m011,
  '012_order_placement_cost': m012,
  '013_codes_party_checks': m013,
  '014_order_path_sku_checks': m014,
  '015_epcis_own_event_ids': m015,
  '016_order_key_lookup': m016,
  '017_event_keys_check': m017,
  '018_epcis_key_queries_batched': m018,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<string[]> {
  // Kysely looks for its bookkeeping tables by name across all schemas unless told which one: name it, or a
  // database shared by several schemas (tests, bench) would find another schema's lock table.
  const migrator = new Migrator({ db, provider, migrationTableSchema: schema ?? 'public' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
