/**
 * Diversion and clone alert accuracy on a generated scenario with known truth: the demo network (120 first-tier
 * dealers, their stores), 12 weeks of shipments, store receiving, inspector and consumer scans, with diversion
 * (store-received and consumer-only), clones and forgeries injected at known places, and noise (travelling consumers,
 * homes across a nearby border, scans without location, duplicate deliveries). The engine judges every scan in time
 * order; its opened alerts are compared with the truth. Targets: precision >= 99%, recall >= 98%. Runs on PGlite
 * (the engine's logic does not depend on the driver; the throughput figure does). BENCH_SCENARIO_WEEKS and
 * BENCH_SCENARIO_SEED override the defaults.
 */
import { seedDemoData } from '../../../gateway/src/demo/seed';
import { type Evaluation, evaluateScenario, loadScenarioNetwork } from '../../../gateway/src/diversion/scenario/evaluate';
import { generateScenario, type ScenarioOptions } from '../../../gateway/src/diversion/scenario/generate';
import { createDiversionStack } from '../../../gateway/src/diversion/scenario/stack';
import { openDatabase } from '../../../gateway/src/platform/db';
import { runStandalone } from '../harness/report';
import type { BenchResult } from '../types';

export function scenarioOptions(env: NodeJS.ProcessEnv = process.env): ScenarioOptions {
  return {
    seed: Number(env.BENCH_SCENARIO_SEED ?? 2026),
    start: new Date('2025-03-03T00:00:00+08:00'),
    weeks: Number(env.BENCH_SCENARIO_WEEKS ?? 12),
    ordersPerDealerWeek: 1,
    casesPerOrder: 3,
    cansPerCase: 12,
    consumerScanRate: 0.35,
    storeDiversions: 80,
    greyDiversions: 50,
    clones: 60,
    forgeries: 15,
    noise: { travel: 0.04, noLocation: 0.1, duplicate: 0.03, homeRadiusKm: 8, inspection: 0.05 },
  };
}

export function accuracyResults(e: Evaluation, scenario: { truth: { diversions: Set<string>; clones: Set<string> } }): BenchResult[] {
  const name = (what: string, n: number) => `${what} alerts (${n} injected, ${e.scans} scans)`;
  const rows: BenchResult[] = [];
  for (const [what, acc, n] of [
    ['diversion', e.diversion, scenario.truth.diversions.size],
    ['clone', e.clone, scenario.truth.clones.size],
  ] as const) {
    rows.push(
      { name: name(what, n), metric: 'precision', value: acc.precision * 100, unit: '%', target: '>= 99 %', met: acc.precision >= 0.99 },
      { name: name(what, n), metric: 'recall', value: acc.recall * 100, unit: '%', target: '>= 98 %', met: acc.recall >= 0.98 },
      { name: name(what, n), metric: 'false alarms', value: acc.falsePositives, unit: '' },
      { name: name(what, n), metric: 'missed', value: acc.falseNegatives, unit: '' },
    );
  }
  rows.push({ name: `diversion engine [pglite], ${e.scans} scans in time order`, metric: 'throughput', value: e.scans / (e.elapsedMs / 1000), unit: 'scans/s' });
  return rows;
}

export default async function run(): Promise<BenchResult[]> {
  const database = await openDatabase({});
  try {
    await seedDemoData(database.db, { password: 'bench-unused', hashPassword: async () => 'not-a-login' });
    const stack = await createDiversionStack(database.db);
    const scenario = generateScenario(await loadScenarioNetwork(database.db), stack.regions, stack.counties, scenarioOptions());
    process.stderr.write(`diversion-accuracy: ${JSON.stringify(scenario.counts)}\n`);
    const evaluation = await evaluateScenario(database.db, stack.engine, stack.counties, scenario);
    process.stderr.write(`diversion-accuracy: verdicts ${JSON.stringify(evaluation.verdicts)}; examples ${JSON.stringify(evaluation.examples)}\n`);
    return accuracyResults(evaluation, scenario);
  } finally {
    await database.close();
  }
}

if (require.main === module) runStandalone(run);
