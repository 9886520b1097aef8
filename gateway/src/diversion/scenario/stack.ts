import { createAuthorisationService } from '../../authorisations/service';
import { createCountyLocator } from '../../geo/locate';
import type { Db } from '../../platform/db';
import { createRegionService } from '../../regions/service';
import { createDiversionEngine } from '../engine';
import { createRulesStore } from '../rules';
import { createScanLocator } from '../scan';

/** The engine and what it needs, built on a database as gateway.ts builds it (without notifications). */
export async function createDiversionStack(db: Db) {
  const regions = await createRegionService(db);
  const counties = createCountyLocator(regions);
  const authorisations = createAuthorisationService({ db, regions });
  const engine = createDiversionEngine({ db, regions, authorisations, counties, rules: createRulesStore(db), scans: createScanLocator(db, counties) });
  return { regions, counties, authorisations, engine };
}
