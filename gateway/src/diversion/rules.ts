import { z } from 'zod';
import type { Db } from '../platform/db';

export const SCAN_SOURCES = ['store', 'distributor', 'inspector', 'consumer', 'warehouse'] as const;
export type ScanSource = (typeof SCAN_SOURCES)[number];

const weight = z.number().min(0, 'must be at least 0').max(10, 'must be at most 10');

/**
 * The diversion and clone rules, as data (HQ changes them at PUT /api/v1/diversion/rules).
 * - Each scan outside the authorised region adds its source's weight to the alert of (source dealer × county × batch);
 *   the alert opens when the weight within `window_days` reaches `open_threshold`. A store's receiving scan or an
 *   inspector's scan opens it alone; a consumer's weighs a quarter, so one travelling consumer never does.
 * - Scans placed by a consumer's coordinates within `border_tolerance_km` of the authorised region are let go: the
 *   county lookup is approximate near borders. Scans placed by a registered party or device site are exact.
 */
export const diversionRulesSchema = z.strictObject({
  border_tolerance_km: z.number().min(0).max(200).default(15),
  weights: z.strictObject({ store: weight, distributor: weight, inspector: weight, consumer: weight, warehouse: weight }).default({ store: 1, distributor: 1, inspector: 1, consumer: 0.25, warehouse: 0 }),
  open_threshold: z.number().positive().max(100).default(1),
  window_days: z.number().int().min(1).max(365).default(30),
  clone: z
    .strictObject({
      /** Faster than this between two consumer scans of one serial, and farther than min_distance_km: a clone. */
      max_speed_kmh: z.number().positive().max(2000).default(300),
      min_distance_km: z.number().min(0).max(2000).default(100),
      /** More consumer scans of one serial than this is implausible for one can. */
      max_consumer_scans: z.number().int().min(2).max(1000).default(12),
      /** One can lives in one household: consumer scans from this many places min_distance_km apart is a clone. */
      max_places: z.number().int().min(2).max(100).default(3),
    })
    .default({ max_speed_kmh: 300, min_distance_km: 100, max_consumer_scans: 12, max_places: 3 }),
});
export type DiversionRules = z.output<typeof diversionRulesSchema>;

export const DEFAULT_DIVERSION_RULES: DiversionRules = diversionRulesSchema.parse({});

/** The rules in force, read at most every `ttlMs` (another replica may have changed them). */
export function createRulesStore(db: Db, ttlMs = 2000) {
  let cached: { at: number; rules: DiversionRules } | undefined;
  return {
    async current(): Promise<DiversionRules> {
      if (cached && Date.now() - cached.at < ttlMs) return cached.rules;
      const row = await db.selectFrom('diversion_settings').select('rules').where('id', '=', 1).executeTakeFirst();
      const rules = row ? diversionRulesSchema.parse(row.rules) : DEFAULT_DIVERSION_RULES;
      cached = { at: Date.now(), rules };
      return rules;
    },
    async set(rules: DiversionRules, actor: string): Promise<DiversionRules> {
      await db
        .insertInto('diversion_settings')
        .values({ id: 1, rules: JSON.stringify(rules), updated_by: actor })
        .onConflict((oc) => oc.column('id').doUpdateSet({ rules: JSON.stringify(rules), updated_by: actor, updated_at: new Date() }))
        .execute();
      await db.insertInto('audit_log').values({ actor, action: 'diversion-rules.set', entity: 'diversion_settings', entity_id: '1', detail: rules }).execute();
      cached = { at: Date.now(), rules };
      return rules;
    },
  };
}
export type RulesStore = ReturnType<typeof createRulesStore>;
