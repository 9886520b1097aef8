import type { DemoParty, DemoUser } from './types';

/** The demo logins. Only these five: dealers and stores otherwise get accounts through the identity area. */
export const DEMO_ACCOUNTS = {
  hq: 'hq-admin',
  dealer: 'dealer-demo',
  store: 'store-demo',
  dealer2: 'dealer-demo-2',
  store2: 'store-demo-2',
} as const;

/**
 * Who each login is, chosen for permission tests: dealer-demo (武汉's first-tier dealer) sees both demo stores,
 * store-demo (supplied by the dealer directly) and store-demo-2 (supplied through one of its distributors);
 * each store sees only itself; dealer-demo-2 (广州) sees neither.
 */
export function demoUsers(dealer: DemoParty, dealer2: DemoParty, stores: readonly DemoParty[], tier2: readonly DemoParty[]): DemoUser[] {
  const distributors = new Set(tier2.filter((d) => d.parent_code === dealer.code).map((d) => d.code));
  const store = stores.find((s) => s.parent_code === dealer.code);
  const store2 = stores.find((s) => s.parent_code !== null && distributors.has(s.parent_code));
  if (!store || !store2) throw new Error(`dealer ${dealer.code} has no direct and distributor-supplied store`);
  return [
    { username: DEMO_ACCOUNTS.hq, role: 'hq', party_code: null, display_name: '总部管理员' },
    { username: DEMO_ACCOUNTS.dealer, role: 'dealer', party_code: dealer.code, display_name: dealer.name },
    { username: DEMO_ACCOUNTS.store, role: 'store', party_code: store.code, display_name: store.name },
    { username: DEMO_ACCOUNTS.dealer2, role: 'dealer', party_code: dealer2.code, display_name: dealer2.name },
    { username: DEMO_ACCOUNTS.store2, role: 'store', party_code: store2.code, display_name: store2.name },
  ];
}
