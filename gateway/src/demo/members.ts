import { maskedPhone, personName } from './channel';
import type { Random } from './random';
import type { DemoMember, DemoParty } from './types';

export const DEMO_MEMBER_COUNT = 2000;

const DAY_MS = 86_400_000;

/**
 * Store members (households): spread over the stores, chain stores drawing about three times as many as a
 * small shop; each baby born within the three years before `today`, so every age band (0–6 months steers
 * small-size diapers, DOMAIN.md) is populated.
 */
export function generateMembers(rnd: Random, stores: readonly DemoParty[], today: string): DemoMember[] {
  const end = Date.parse(`${today}T00:00:00Z`);
  if (Number.isNaN(end)) throw new Error(`today must be YYYY-MM-DD, got ${JSON.stringify(today)}`);
  // Every store has at least one member, so store-scoped views always have something to show.
  const homes = [...stores, ...Array.from({ length: DEMO_MEMBER_COUNT - stores.length }, () => rnd.weighted(stores, (s) => (s.chain ? 3 : 1)))];
  return homes.map((store) => ({
    store_code: store.code,
    name: personName(rnd),
    phone: maskedPhone(rnd),
    baby_birth_date: new Date(end - rnd.int(0, 3 * 365) * DAY_MS).toISOString().slice(0, 10),
    region_code: store.region_code,
  }));
}
