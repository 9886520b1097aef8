import { seedDemoData } from '../../demo/seed';
import { openTestDatabase, type TestDatabase } from '../../platform/testing/databases';
import { type Evaluation, evaluateScenario, loadScenarioNetwork } from './evaluate';
import { generateScenario, SMALL_SCENARIO } from './generate';
import { createDiversionStack } from './stack';

describe('diversion and clone alerts against a scenario with known truth', () => {
  let db: TestDatabase;
  let result: Evaluation;
  let counts: ReturnType<typeof generateScenario>['counts'];

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    await seedDemoData(db.db, { password: 'unused-password', hashPassword: async () => 'not-a-login' });
    const stack = await createDiversionStack(db.db);
    const scenario = generateScenario(await loadScenarioNetwork(db.db), stack.regions, stack.counties, { ...SMALL_SCENARIO, seed: 7, start: new Date('2025-03-03T00:00:00+08:00') });
    counts = scenario.counts;
    result = await evaluateScenario(db.db, stack.engine, stack.counties, scenario);
  }, 240_000);
  afterAll(() => db?.dispose());

  it('runs a scenario with noise of every kind', () => {
    expect(counts.scans).toBeGreaterThan(2000);
    expect(counts.travelScans).toBeGreaterThan(10);
    expect(counts.duplicates).toBeGreaterThan(10);
    expect(counts.noLocation).toBeGreaterThan(10);
    expect(result.verdicts['unknown-location']).toBeGreaterThan(0);
    // Duplicates of scans that touch no alert pass as what they are; the others are recognised and not counted.
    expect(result.verdicts.duplicate).toBeGreaterThan(0);
    expect(result.verdicts.duplicate).toBeLessThanOrEqual(counts.duplicates);
  });

  it('finds the injected diversion with precision >= 99% and recall >= 98%', () => {
    expect(result.diversion.truePositives).toBeGreaterThan(15);
    expect(result.examples).toEqual({ missed: [], falseAlarms: [] });
    expect(result.diversion.precision).toBeGreaterThanOrEqual(0.99);
    expect(result.diversion.recall).toBeGreaterThanOrEqual(0.98);
  });

  it('finds the injected clones and forgeries with the same precision and recall', () => {
    expect(result.clone.precision).toBeGreaterThanOrEqual(0.99);
    expect(result.clone.recall).toBeGreaterThanOrEqual(0.98);
    expect(result.forgery).toMatchObject({ precision: 1, recall: 1 });
  });
});
