import { sql } from 'kysely';
import type { Db } from '../platform/db';
import type { Principal } from '../platform/http/route';

/**
 * Which parties a caller may see. HQ: all (null = no filter). A first-tier dealer: itself, its second-tier
 * distributors and the stores either of them supplies. A second-tier distributor: itself and its stores.
 * A store: itself and the dealers that supply it (up the chain).
 * Held for a few seconds per party: the network changes rarely and every request of a dealer consults it.
 */
export function createPartyVisibility(db: Db) {
  const cache = new Map<string, { at: number; ids: Set<string> }>();
  const TTL_MS = 5000;
  async function compute(partyId: string): Promise<Set<string>> {
    const down = await sql<{ id: string }>`
      with recursive downstream(id) as (
        select id from parties where id = ${partyId}
        union
        select p.id from parties p join downstream d on p.parent_id = d.id
      ),
      upstream(id, parent_id) as (
        select id, parent_id from parties where id = ${partyId}
        union
        select p.id, p.parent_id from parties p join upstream u on p.id = u.parent_id
      )
      select id from downstream union select id from upstream`.execute(db);
    return new Set(down.rows.map((r) => r.id));
  }
  return {
    async visibleParties(principal: Principal): Promise<Set<string> | null> {
      if (principal.role === 'hq') return null;
      if (!principal.partyId) return new Set();
      const hit = cache.get(principal.partyId);
      if (hit && Date.now() - hit.at < TTL_MS) return hit.ids;
      const ids = await compute(principal.partyId);
      cache.set(principal.partyId, { at: Date.now(), ids });
      return ids;
    },
    forget: () => cache.clear(),
  };
}

export type PartyVisibility = ReturnType<typeof createPartyVisibility>;
