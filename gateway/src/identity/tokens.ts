import { createSecretKey } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import { setBounded } from '@cradle/protocol';
import type { Principal, Role } from '../platform/http/route';
import { ROLE_SCOPES } from './scopes';

export interface TokenIssuer {
  issue(user: { id: string; username: string; role: Role; party_id: string | null }): Promise<{ token: string; expiresIn: number }>;
  verify(token: string): Promise<Principal | null>;
}

const ISSUER = 'cradle-gateway';

/** Short-lived HS256 access tokens; the claims carry role and party so a request needs no user lookup. */
export function createTokenIssuer(secretBytes: Uint8Array, ttlSeconds: number): TokenIssuer {
  const secret = createSecretKey(secretBytes);
  // Tokens already verified, until they expire: the same token string carries the same signature, so a
  // repeat need not be checked again. Bounded; cleared when full.
  const verified = new Map<string, { principal: Principal; exp: number }>();
  return {
    async issue(user) {
      const token = await new SignJWT({ role: user.role, party: user.party_id, name: user.username })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(secret);
      return { token, expiresIn: ttlSeconds };
    },
    async verify(token) {
      const hit = verified.get(token);
      if (hit) {
        if (hit.exp * 1000 > Date.now()) return hit.principal;
        verified.delete(token);
      }
      try {
        const { payload } = await jwtVerify(token, secret, { issuer: ISSUER, algorithms: ['HS256'] });
        const role = payload.role as Role;
        if (!payload.sub || !(role in ROLE_SCOPES) || payload.exp === undefined) return null;
        const principal: Principal = {
          kind: 'user',
          id: payload.sub,
          name: String(payload.name ?? payload.sub),
          role,
          partyId: typeof payload.party === 'string' ? payload.party : null,
          scopes: new Set(ROLE_SCOPES[role]),
        };
        setBounded(verified, 50_000, token, { principal, exp: payload.exp });
        return principal;
      } catch (err) {
        if (err instanceof errors.JOSEError) return null;
        throw err;
      }
    },
  };
}
