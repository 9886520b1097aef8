import type { Request } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { Db } from '../platform/db';
import { HttpProblem, notFound } from '../platform/http/problem';
import { type AnyRoute, type Authenticate, defineRoute } from '../platform/http/route';
import { createApiKey, createApiKeyVerifier, revokeApiKey } from './api-keys';
import { burnPasswordCheck, verifyPassword } from './passwords';
import { isScope, ROLE_SCOPES, SCOPES } from './scopes';
import type { TokenIssuer } from './tokens';

export interface IdentityDeps {
  db: Db;
  tokens: TokenIssuer;
  /** Failed logins allowed per username and address in 15 minutes. */
  loginRateLimit: number;
  apiKeys: ReturnType<typeof createApiKeyVerifier>;
}

/** Bearer JWT or X-API-Key → principal; neither → anonymous (routes decide whether that is enough). */
export function createAuthenticator(deps: IdentityDeps): Authenticate {
  const verifyApiKey = deps.apiKeys.verify;
  return async (req: Request) => {
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^Bearer ([A-Za-z0-9._-]+)$/.exec(auth);
      const principal = m ? await deps.tokens.verify(m[1]!) : null;
      if (!principal) throw new HttpProblem('unauthenticated', 'The bearer token is invalid or expired; sign in again');
      return principal;
    }
    const key = req.headers['x-api-key'];
    if (typeof key === 'string') {
      const principal = await verifyApiKey(key);
      if (!principal) throw new HttpProblem('unauthenticated', 'The API key is unknown or revoked');
      return principal;
    }
    return null;
  };
}

const tokenRequest = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
const tokenResponse = z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number() });
const scopeSchema = z.string().refine(isScope, { message: `must be one of ${Object.keys(SCOPES).join(', ')}` });
const apiKeyRequest = z.strictObject({
  name: z.string().min(1).max(100),
  role: z.enum(['hq', 'dealer', 'store']),
  party_id: z.uuid().nullable().default(null),
  scopes: z.array(scopeSchema).min(1),
});
const hqAdmin = { roles: ['hq'], scope: 'identity:admin' } as const;

export function identityRoutes(deps: IdentityDeps): AnyRoute[] {
  const { db, tokens } = deps;
  // Only failures count, per address and username: a password-guessing loop is slowed, a busy office is not.
  const loginLimiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: deps.loginRateLimit,
    skipSuccessfulRequests: true,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${typeof req.body?.username === 'string' ? req.body.username.toLowerCase() : ''}`,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new HttpProblem('too-many-requests', 'Too many failed sign-ins; wait 15 minutes and try again')),
  });

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/token',
      summary: 'Sign in with username and password; returns a short-lived bearer token',
      tags: ['identity'],
      access: { public: true },
      before: [loginLimiter],
      body: tokenRequest,
      response: tokenResponse,
      async handler({ body, res }) {
        const user = await db.selectFrom('users').selectAll().where('username', '=', body.username).executeTakeFirst();
        if (!user) {
          await burnPasswordCheck(body.password);
          throw new HttpProblem('invalid-credentials');
        }
        if (!(await verifyPassword(user.password_hash, body.password)) || user.disabled) throw new HttpProblem('invalid-credentials');
        if (user.party_id) {
          const party = await db.selectFrom('parties').select('status').where('id', '=', user.party_id).executeTakeFirst();
          if (party?.status !== 'active') throw new HttpProblem('forbidden', 'The account of your dealer or store is suspended');
        }
        const { token, expiresIn } = await tokens.issue(user);
        res.setHeader('cache-control', 'no-store');
        return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/me',
      summary: 'Who am I: role, party and scopes of the caller',
      tags: ['identity'],
      access: { roles: ['hq', 'dealer', 'store'], scope: 'masterdata:read' },
      handler: ({ principal }) => ({
        id: principal.id,
        kind: principal.kind,
        name: principal.name,
        role: principal.role,
        party_id: principal.partyId,
        scopes: [...principal.scopes].sort(),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/api-keys',
      summary: 'Issue an API key for a machine client (shown once)',
      tags: ['identity'],
      access: hqAdmin,
      body: apiKeyRequest,
      status: 201,
      async handler({ body, principal }) {
        if ((body.role === 'hq') !== (body.party_id === null)) {
          throw new HttpProblem('validation-failed', 'body.party_id: HQ keys have no party; dealer and store keys need one', {
            errors: [{ field: 'body.party_id', message: 'HQ keys have no party; dealer and store keys need one' }],
          });
        }
        const beyond = body.scopes.filter((s) => !ROLE_SCOPES[body.role].includes(s));
        if (beyond.length) {
          throw new HttpProblem('validation-failed', `body.scopes: a ${body.role} key cannot hold ${beyond.join(', ')}`, {
            errors: [{ field: 'body.scopes', message: `a ${body.role} key cannot hold ${beyond.join(', ')}` }],
          });
        }
        if (body.party_id) {
          const party = await db.selectFrom('parties').select('kind').where('id', '=', body.party_id).executeTakeFirst();
          const expected = body.role === 'dealer' ? 'dealer' : 'store';
          if (party?.kind !== expected) throw new HttpProblem('validation-failed', `body.party_id: must be a ${expected}`, { errors: [{ field: 'body.party_id', message: `must be a ${expected}` }] });
        }
        const created = await createApiKey(db, { name: body.name, role: body.role, partyId: body.party_id, scopes: body.scopes, createdBy: principal.kind === 'user' ? principal.id : null });
        await db.insertInto('audit_log').values({ actor: principal.name, action: 'api-key.create', entity: 'api_key', entity_id: created.id, detail: { name: body.name, role: body.role, scopes: body.scopes } }).execute();
        return { id: created.id, key: created.key, name: body.name, role: body.role, party_id: body.party_id, scopes: body.scopes };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/api-keys',
      summary: 'List API keys (without secrets)',
      tags: ['identity'],
      access: hqAdmin,
      async handler() {
        const items = await db
          .selectFrom('api_keys')
          .select(['id', 'prefix', 'name', 'role', 'party_id', 'scopes', 'created_at', 'last_used_at', 'revoked_at'])
          .orderBy('created_at', 'desc')
          .execute();
        return { items, total: items.length };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/api-keys/:id',
      summary: 'Revoke an API key (effective within 5 s on every replica)',
      tags: ['identity'],
      access: hqAdmin,
      params: z.object({ id: z.uuid() }),
      async handler({ params, principal }) {
        if (!(await revokeApiKey(db, params.id))) throw notFound('API key');
        deps.apiKeys.forget();
        await db.insertInto('audit_log').values({ actor: principal.name, action: 'api-key.revoke', entity: 'api_key', entity_id: params.id }).execute();
        return undefined;
      },
    }),
  ];
}
