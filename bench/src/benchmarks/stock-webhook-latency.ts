/**
 * A single movement from the WMS simulator's webhook to the network visibility API: the time from the WMS
 * posting the movement to the view showing it, through the real gateway (a child process) with the WMS
 * connector configured. Baseline in the same run: two HTTP round trips (the webhook's and one read of the
 * view) against bare Express 5. Target: p99 < 2 s.
 */
import { startWmsSimulator } from '@cradle/connectors';
import { percentile, below } from '../harness/compare';
import { startBareExpress } from '../harness/bare-express-server';
import { login, startGateway } from '../harness/gateway';
import { benchSchemaName, choosePostgres, dropSchema } from '../harness/postgres';
import { runStandalone } from '../harness/report';
import type { BenchResult } from '../types';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const LIMIT_MS = 2000;

async function measure(label: 'pglite' | 'postgres', databaseUrl?: string): Promise<BenchResult> {
  const sim = await startWmsSimulator({ sites: ['WH-C01'], autoWebhook: true });
  process.env.CONNECTORS_CONFIG = JSON.stringify({ wms: { baseUrl: sim.url, sites: ['WH-C01'], movementsEveryMs: 3_600_000, confirmationsEveryMs: 3_600_000, snapshotEveryMs: 3_600_000 } });
  const schema = databaseUrl ? benchSchemaName() : undefined;
  const gw = await startGateway({ databaseUrl, databaseSchema: schema });
  delete process.env.CONNECTORS_CONFIG;
  try {
    const token = await login(gw.url);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const key = await fetch(`${gw.url}/api/v1/api-keys`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'bench wms', role: 'hq', party_id: null, scopes: ['connectors:push'] }) }).then((r) => r.json() as Promise<{ key: string }>);
    sim.setWebhook({ url: `${gw.url}/api/v1/connectors/wms/webhook`, apiKey: key.key });
    const gtin = ((await fetch(`${gw.url}/api/v1/skus?category=formula&limit=1`, { headers: auth }).then((r) => r.json())) as { items: Array<{ gtin: string }> }).items[0]!.gtin;
    const view = async () => {
      const r = await fetch(`${gw.url}/api/v1/stock/network?sku=${gtin}`, { headers: auth });
      const body = (await r.json()) as { items: Array<{ on_hand: number }> };
      return body.items[0]?.on_hand ?? 0;
    };
    const samples: number[] = [];
    let expected = await view();
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      sim.receive('WH-C01', gtin, `WL-${i % 3}`, '2027-06-30', 1);
      expected += 1;
      for (;;) {
        if ((await view()) === expected) break;
        if (performance.now() - t0 > 10_000) throw new Error(`movement ${i} did not show within 10 s`);
      }
      samples.push(performance.now() - t0);
    }
    const bare = await startBareExpress(2000);
    const base: number[] = [];
    try {
      for (let i = 0; i < SAMPLES; i++) {
        const t0 = performance.now();
        await fetch(`${bare.url}/payload`).then((r) => r.text());
        await fetch(`${bare.url}/payload`).then((r) => r.text());
        base.push(performance.now() - t0);
      }
    } finally {
      await bare.stop();
    }
    return below(
      { name: `WMS webhook → network view, ${SAMPLES} movements [${label}]`, metric: 'p99 latency', value: percentile(samples, 99)!, unit: 'ms', baseline: { name: 'bare Express 5, two round trips', value: percentile(base, 99)! } },
      LIMIT_MS,
    );
  } finally {
    await gw.stop();
    await sim.close();
    if (databaseUrl && schema) await dropSchema(databaseUrl, schema);
  }
}

export default async function run(): Promise<BenchResult[]> {
  const results = [await measure('pglite')];
  const pgChoice = await choosePostgres();
  if (pgChoice.run) results.push(await measure('postgres', pgChoice.url));
  return results;
}

if (require.main === module) runStandalone(run);
