/** Deterministic demo data at the reference scale (DOMAIN.md), and the seeder that loads it on first start. */
export { DEMO_ACCOUNTS } from './accounts';
export { REFERENCE_SCALE } from './channel';
export { DEMO_GLN_COMPANY_PREFIX, DEMO_GTIN_COMPANY_PREFIX } from './identifiers';
export { DEMO_MEMBER_COUNT } from './members';
export { DEMO_REFERENCE_DATE, generateDemoNetwork } from './network';
export { seedDemoData, type SeedDemoOptions, type SeedDemoResult } from './seed';
export type { DemoDevice, DemoMember, DemoNetwork, DemoParty, DemoSku, DemoUser } from './types';
