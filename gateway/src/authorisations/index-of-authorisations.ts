import type { Db } from '../platform/db';
import type { RegionService } from '../regions/service';

/** One authorisation row, as the rules read it. `validTo` is exclusive; null is open-ended. */
export interface Authorisation {
  id: string;
  dealerId: string;
  regionCode: string;
  validFrom: Date;
  validTo: Date | null;
  shared: boolean;
  version: number;
  note: string | null;
  createdBy: string;
  createdAt: Date;
  endedBy: string | null;
  endedAt: Date | null;
}

/** What a party may sell into at one instant, and whose authorisation that is (its own or its first-tier dealer's). */
export interface EffectiveRegion {
  partyId: string;
  /** The party whose rows apply: the party itself, or the nearest supplier up the chain that has rows. */
  fromPartyId: string;
  inherited: boolean;
  codes: string[];
  authorisations: Authorisation[];
}

export const validAt = (a: Pick<Authorisation, 'validFrom' | 'validTo'>, at: Date): boolean =>
  a.validFrom.getTime() <= at.getTime() && (a.validTo === null || at.getTime() < a.validTo.getTime());

/**
 * An in-memory view of every authorisation row (all versions) and of the supply chain (party → supplier), so
 * that judging a scan costs no query. Rows are few (hundreds to a few thousand).
 */
export class AuthorisationIndex {
  private readonly byParty = new Map<string, Authorisation[]>();
  private readonly byRegion = new Map<string, Authorisation[]>();

  constructor(
    rows: readonly Authorisation[],
    private readonly parties: ReadonlyMap<string, { parentId: string | null; tier: number | null; kind: string }>,
    private readonly regions: RegionService,
  ) {
    for (const a of rows) {
      this.byParty.set(a.dealerId, [...(this.byParty.get(a.dealerId) ?? []), a]);
      this.byRegion.set(a.regionCode, [...(this.byRegion.get(a.regionCode) ?? []), a]);
    }
  }

  party(id: string) {
    return this.parties.get(id);
  }

  rowsOf(partyId: string): readonly Authorisation[] {
    return this.byParty.get(partyId) ?? [];
  }

  /**
   * The authorisation in force for a party at `at`: its own rows when it has any valid then, otherwise those of
   * its supplier, up to the first-tier dealer (second-tier distributors and stores inherit unless set).
   */
  effectiveAt(partyId: string, at: Date): EffectiveRegion {
    const seen = new Set<string>();
    for (let p: string | null | undefined = partyId; p && !seen.has(p); p = this.parties.get(p)?.parentId) {
      seen.add(p);
      const rows = (this.byParty.get(p) ?? []).filter((a) => validAt(a, at));
      if (rows.length > 0) {
        return { partyId, fromPartyId: p, inherited: p !== partyId, codes: [...new Set(rows.map((a) => a.regionCode))], authorisations: rows };
      }
    }
    return { partyId, fromPartyId: partyId, inherited: false, codes: [], authorisations: [] };
  }

  /** True when `regionCode` or one of its ancestors is in the party's effective authorisation at `at`. */
  covers(partyId: string, regionCode: string, at: Date): boolean {
    const codes = this.effectiveAt(partyId, at).codes;
    return this.regions.lineage(regionCode).some((r) => codes.includes(r.code));
  }

  /**
   * First-tier dealers authorised for a place at `at`, most specific grant first (a county grant before its
   * city's, before its province's): the dealers a diversion into that place hurts.
   */
  firstTierCovering(regionCode: string, at: Date): string[] {
    const out: string[] = [];
    for (const r of this.regions.lineage(regionCode)) {
      for (const a of this.byRegion.get(r.code) ?? []) {
        if (validAt(a, at) && this.parties.get(a.dealerId)?.tier === 1 && !out.includes(a.dealerId)) out.push(a.dealerId);
      }
    }
    return out;
  }

  /** Rows of other first-tier dealers whose place contains or lies within `regionCode` and whose time overlaps. */
  overlapping(regionCode: string, from: Date, to: Date | null, exceptDealerId: string): Authorisation[] {
    const out: Authorisation[] = [];
    for (const rows of this.byParty.values()) {
      for (const a of rows) {
        if (a.dealerId === exceptDealerId || this.parties.get(a.dealerId)?.tier !== 1) continue;
        const placeOverlaps = this.regions.isWithin(regionCode, a.regionCode) || this.regions.isWithin(a.regionCode, regionCode);
        const timeOverlaps = (a.validTo === null || from < a.validTo) && (to === null || a.validFrom < to);
        if (placeOverlaps && timeOverlaps) out.push(a);
      }
    }
    return out;
  }
}

export function toAuthorisation(r: {
  id: string;
  dealer_id: string;
  region_code: string;
  valid_from: Date;
  valid_to: Date | null;
  shared: boolean;
  version: number;
  note: string | null;
  created_by: string;
  created_at: Date;
  ended_by: string | null;
  ended_at: Date | null;
}): Authorisation {
  return {
    id: r.id,
    dealerId: r.dealer_id,
    regionCode: r.region_code,
    validFrom: new Date(r.valid_from),
    validTo: r.valid_to === null ? null : new Date(r.valid_to),
    shared: r.shared,
    version: r.version,
    note: r.note,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    endedBy: r.ended_by,
    endedAt: r.ended_at === null ? null : new Date(r.ended_at),
  };
}

export async function loadAuthorisationIndex(db: Db, regions: RegionService): Promise<AuthorisationIndex> {
  const [rows, parties] = await Promise.all([
    db.selectFrom('region_authorisations').selectAll().execute(),
    db.selectFrom('parties').select(['id', 'parent_id', 'tier', 'kind']).where('kind', 'in', ['dealer', 'store']).execute(),
  ]);
  return new AuthorisationIndex(
    rows.map(toAuthorisation),
    new Map(parties.map((p) => [p.id, { parentId: p.parent_id, tier: p.tier, kind: p.kind }])),
    regions,
  );
}
