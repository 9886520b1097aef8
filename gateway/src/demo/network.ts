import { demoUsers } from './accounts';
import { DEMO_DEALER_CITIES, dealerFor, generateChannel } from './channel';
import { demoGln } from './identifiers';
import { generateMembers } from './members';
import { generateSkus } from './products';
import { seededRandom } from './random';
import { generateSites } from './sites';
import type { DemoNetwork } from './types';

export { DEMO_ACCOUNTS } from './accounts';

/**
 * The day demo members' birth dates count back from when the caller gives none: a fixed day keeps
 * generateDemoNetwork pure. The seeder passes the real date.
 */
export const DEMO_REFERENCE_DATE = '2026-01-01';

/**
 * The whole demo network at the reference scale (DOMAIN.md), as plain data. Pure and deterministic: the same
 * seed and day always give an equal value.
 */
export function generateDemoNetwork(seed = 2026, today: string = DEMO_REFERENCE_DATE): DemoNetwork {
  const rnd = seededRandom(seed);
  let locationRef = 0;
  const nextGln = (): string => demoGln(++locationRef);

  const { sites, devices } = generateSites(rnd, nextGln);
  const { tier1, tier2, stores } = generateChannel(rnd, nextGln);
  const members = generateMembers(rnd, stores, today);
  const users = demoUsers(dealerFor(tier1, DEMO_DEALER_CITIES.dealer), dealerFor(tier1, DEMO_DEALER_CITIES.dealer2), stores, tier2);
  return {
    seed,
    today,
    parties: [...sites, ...tier1, ...tier2, ...stores],
    skus: generateSkus(),
    devices,
    members,
    users,
  };
}
