import { startTestGateway, type TestGateway } from '../testing/gateway';
import type { DriverName } from '../platform/testing/databases';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` returns something truthy; fails naming what it waited for. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(50);
  }
}

/** A test gateway with these connectors (CONNECTORS_CONFIG is read once, at start-up). */
export async function startGatewayWithConnectors(driver: DriverName, connectors: unknown, env: Record<string, string> = {}): Promise<TestGateway> {
  const before = process.env.CONNECTORS_CONFIG;
  process.env.CONNECTORS_CONFIG = JSON.stringify(connectors);
  try {
    return await startTestGateway(driver, env);
  } finally {
    if (before === undefined) delete process.env.CONNECTORS_CONFIG;
    else process.env.CONNECTORS_CONFIG = before;
  }
}

/** An HQ API key with the given scopes (e.g. connectors:push for a webhook sender). */
export async function apiKey(gw: TestGateway, token: string, scopes: string[]): Promise<string> {
  const r = await gw.call('POST', '/api/v1/api-keys', { token, body: { name: `test ${scopes.join(' ')}`, role: 'hq', party_id: null, scopes } });
  if (r.status !== 201) throw new Error(`api key: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.key as string;
}

/** The on-hand quantity of a SKU's batch at a location, as the network view shows it (0 if absent). */
export async function onHandAt(gw: TestGateway, token: string, gtin: string, location: string, batch: string): Promise<{ on_hand: number; reserved: number; in_transit: number } | null> {
  const r = await gw.call('GET', `/api/v1/stock/network?sku=${gtin}`, { token });
  if (r.status !== 200) throw new Error(`network: ${r.status} ${JSON.stringify(r.body)}`);
  const loc = (r.body.items[0]?.locations ?? []).find((l: { location: { code: string } }) => l.location.code === location);
  const b = loc?.batches.find((x: { batch: string }) => x.batch === batch);
  return b ? { on_hand: b.on_hand, reserved: b.reserved, in_transit: b.in_transit } : null;
}
