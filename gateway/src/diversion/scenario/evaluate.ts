import type { CountyLocator } from '../../geo/locate';
import type { Db } from '../../platform/db';
import type { DiversionEngine, Verdict } from '../engine';
import type { Scenario, ScenarioNetwork } from './generate';

export interface Accuracy {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
}

export interface Evaluation {
  diversion: Accuracy;
  clone: Accuracy;
  forgery: Accuracy;
  verdicts: Partial<Record<Verdict, number>>;
  scans: number;
  elapsedMs: number;
  /** A few misses and false alarms, for a reader who wants to see why. */
  examples: { missed: string[]; falseAlarms: string[] };
}

function accuracy(found: Set<string>, truth: Set<string>): Accuracy {
  const tp = [...found].filter((k) => truth.has(k)).length;
  const fp = found.size - tp;
  const fn = [...truth].filter((k) => !found.has(k)).length;
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: found.size === 0 ? 1 : tp / found.size, recall: truth.size === 0 ? 1 : tp / truth.size };
}

/** The network as the scenario sees it, read from the parties (every store's chain walked up to its first-tier dealer). */
export async function loadScenarioNetwork(db: Db): Promise<ScenarioNetwork> {
  const parties = await db.selectFrom('parties').select(['id', 'kind', 'tier', 'parent_id', 'region_code', 'lat', 'lng']).where('kind', 'in', ['dealer', 'store']).orderBy('code').execute();
  const byId = new Map(parties.map((p) => [p.id, p]));
  const tier1Of = (id: string): string | null => {
    for (let p = byId.get(id); p; p = p.parent_id ? byId.get(p.parent_id) : undefined) if (p.tier === 1) return p.id;
    return null;
  };
  return {
    dealers: parties.filter((p) => p.tier === 1).map((p) => ({ id: p.id, regionCode: p.region_code })),
    stores: parties
      .filter((p) => p.kind === 'store' && p.lat !== null && p.lng !== null && tier1Of(p.id))
      .map((p) => ({ id: p.id, regionCode: p.region_code, lat: p.lat!, lng: p.lng!, tier1Id: tier1Of(p.id)! })),
  };
}

/**
 * An alert names an injected incident when its source dealer and batch are the incident's and its place lies within
 * `PLACE_TOLERANCE_KM` of the incident's county (seat to seat): consumers' coordinates in a city of small districts
 * fall on both sides of a district line, and the generator's own "truth county" is no finer than that. One incident
 * seen in two adjacent districts gives two true alerts and counts once for recall.
 */
export const PLACE_TOLERANCE_KM = 15;

function matchDiversions(found: Set<string>, truth: Set<string>, counties: CountyLocator): { accuracy: Accuracy; missed: string[]; falseAlarms: string[] } {
  const parse = (k: string) => {
    const [dealer, region, batch] = k.split('|') as [string, string, string];
    return { dealer, region, batch };
  };
  const near = (a: string, b: string) => {
    if (a === b) return true;
    const pa = counties.seatOf(a);
    const pb = counties.seatOf(b);
    return !!pa && !!pb && counties.distanceKm(pa, pb) <= PLACE_TOLERANCE_KM;
  };
  const incidents = [...truth].map(parse);
  const hit = new Set<string>();
  const falseAlarms: string[] = [];
  let tp = 0;
  for (const k of found) {
    const a = parse(k);
    const matches = incidents.filter((t) => t.dealer === a.dealer && t.batch === a.batch && near(t.region, a.region));
    if (matches.length === 0) falseAlarms.push(k);
    else tp++;
    for (const m of matches) hit.add(`${m.dealer}|${m.region}|${m.batch}`);
  }
  const missed = [...truth].filter((k) => !hit.has(k));
  return {
    accuracy: {
      truePositives: tp,
      falsePositives: falseAlarms.length,
      falseNegatives: missed.length,
      precision: found.size === 0 ? 1 : tp / found.size,
      recall: truth.size === 0 ? 1 : hit.size / truth.size,
    },
    missed,
    falseAlarms,
  };
}

/**
 * Feeds a scenario's scans through the engine in time order and compares the alerts it opened (watched ones do not
 * count: nobody is told of them) with the injected truth. Run on a database holding no other alerts.
 */
export async function evaluateScenario(db: Db, engine: DiversionEngine, counties: CountyLocator, scenario: Scenario): Promise<Evaluation> {
  const started = Date.now();
  const verdicts: Partial<Record<Verdict, number>> = {};
  for (const s of scenario.scans) {
    const o = await engine.processScan(s);
    verdicts[o.verdict] = (verdicts[o.verdict] ?? 0) + 1;
  }
  const elapsedMs = Date.now() - started;
  const alerts = await db.selectFrom('diversion_alerts').select(['kind', 'key', 'code']).where('status', '!=', 'watching').execute();
  const diversions = new Set(alerts.filter((a) => a.kind === 'diversion').map((a) => a.key));
  const clones = new Set(alerts.filter((a) => a.kind === 'clone-velocity' || a.kind === 'clone-excess-scans').map((a) => a.key));
  const forgeries = new Set(alerts.filter((a) => a.kind === 'counterfeit-unissued').map((a) => a.key));
  const diversion = matchDiversions(diversions, scenario.truth.diversions, counties);
  return {
    diversion: diversion.accuracy,
    clone: accuracy(clones, scenario.truth.clones),
    forgery: accuracy(forgeries, scenario.truth.forgeries),
    verdicts,
    scans: scenario.scans.length,
    elapsedMs,
    examples: { missed: diversion.missed.slice(0, 5), falseAlarms: diversion.falseAlarms.slice(0, 5) },
  };
}
