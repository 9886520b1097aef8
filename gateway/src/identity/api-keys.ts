import crypto from 'node:crypto';
import type { Db } from '../platform/db';
import type { Principal, Role } from '../platform/http/route';
import { ROLE_SCOPES, type Scope } from './scopes';

/**
 * API keys look like `ck_<prefix>_<secret>`; only a SHA-256 of the secret is stored. A key has 192 bits of
 * entropy, so a fast hash is enough (a memory-hard hash is for low-entropy passwords) and keeps machine calls fast.
 */
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export async function createApiKey(
  db: Db,
  input: { name: string; role: Role; partyId: string | null; scopes: Scope[]; createdBy: string | null },
): Promise<{ id: string; key: string; prefix: string }> {
  const prefix = crypto.randomBytes(6).toString('hex');
  const secret = crypto.randomBytes(24).toString('base64url');
  const row = await db
    .insertInto('api_keys')
    .values({
      prefix,
      key_hash: sha256(secret),
      name: input.name,
      role: input.role,
      party_id: input.partyId,
      scopes: input.scopes,
      created_by: input.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, key: `ck_${prefix}_${secret}`, prefix };
}

const KEY = /^ck_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/;
const CACHE_MS = 5000;

/** Resolves an API key to a principal; a short cache keeps hot machine clients off the database. */
export function createApiKeyVerifier(db: Db) {
  const cache = new Map<string, { at: number; principal: Principal | null }>();
  const verify = async function verifyApiKey(key: string): Promise<Principal | null> {
    const m = KEY.exec(key);
    if (!m) return null;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.principal;
    const row = await db.selectFrom('api_keys').selectAll().where('prefix', '=', m[1]!).executeTakeFirst();
    let principal: Principal | null = null;
    if (row && !row.revoked_at && crypto.timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(sha256(m[2]!)))) {
      const allowed = new Set<string>(ROLE_SCOPES[row.role]);
      principal = {
        kind: 'api-key',
        id: row.id,
        name: row.name,
        role: row.role,
        partyId: row.party_id,
        scopes: new Set(row.scopes.filter((s) => allowed.has(s))),
      };
      void db.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', row.id).execute().catch(() => undefined);
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { at: Date.now(), principal });
    return principal;
  };
  // A revocation applies at once on this replica and within CACHE_MS on the others.
  return { verify, forget: () => cache.clear() };
}

export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const r = await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
