import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { HttpProblem, type FieldError } from './problem';
import { JsonText } from './read-cache';

export type Role = 'hq' | 'dealer' | 'store';

/** Who is calling: a signed-in user or a machine client's API key. */
export interface Principal {
  kind: 'user' | 'api-key';
  id: string;
  name: string;
  role: Role;
  /** The dealer or store the caller acts for; null for HQ. */
  partyId: string | null;
  scopes: ReadonlySet<string>;
}

/**
 * Every route declares who may call it: `public`, or the roles and the scope an API key needs.
 * Users hold every scope of their role; API keys hold only the scopes they were issued.
 */
export type Access = { public: true } | { roles: readonly Role[]; scope: string };

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  req: Request;
  res: Response;
}

type AnySchema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<PS extends AnySchema | undefined, QS extends AnySchema | undefined, BS extends AnySchema | undefined> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path, e.g. `/api/v1/skus/:id` (OpenAPI form is derived). */
  path: string;
  summary: string;
  tags: string[];
  access: Access;
  params?: PS;
  query?: QS;
  body?: BS;
  /** Schema of a successful response, for the OpenAPI document. */
  response?: AnySchema;
  /** HTTP status of success (default 200). */
  status?: number;
  /** Other content types the route can answer with, for the OpenAPI document. */
  produces?: string[];
  /** Middleware that runs before authentication (e.g. a rate limiter). */
  before?: RequestHandler[];
  handler(ctx: RouteContext<Out<PS>, Out<QS>, Out<BS>>): Promise<unknown> | unknown;
}

export type AnyRoute = RouteSpec<AnySchema | undefined, AnySchema | undefined, AnySchema | undefined>;

/** Declares a route; the identity function exists for type inference. */
export function defineRoute<PS extends AnySchema | undefined = undefined, QS extends AnySchema | undefined = undefined, BS extends AnySchema | undefined = undefined>(
  spec: RouteSpec<PS, QS, BS>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** Turns zod issues into field errors that name where the bad value was. */
export function fieldErrors(where: 'body' | 'query' | 'params', error: z.ZodError): FieldError[] {
  return error.issues.map((i) => {
    const keys = i.code === 'unrecognized_keys' ? i.keys : [];
    const path = [where, ...i.path.map(String)].join('.');
    if (keys.length > 0) {
      return { field: `${path}.${keys[0]}`, message: `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`, code: i.code };
    }
    return { field: path, message: i.message, code: i.code };
  });
}

function parsePart<S extends AnySchema | undefined>(where: 'body' | 'query' | 'params', schema: S, value: unknown): Out<S> {
  if (!schema) return undefined as Out<S>;
  const r = schema.safeParse(value);
  if (!r.success) {
    const errors = fieldErrors(where, r.error);
    throw new HttpProblem('validation-failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
  return r.data as Out<S>;
}

export type Authenticate = (req: Request) => Promise<Principal | null>;

const ANONYMOUS: Principal = { kind: 'user', id: 'anonymous', name: 'anonymous', role: 'store', partyId: null, scopes: new Set() };

/** Checks a principal against a route's declared access; throws 401/403 problems. */
export function authorise(access: Access, principal: Principal | null): Principal {
  if ('public' in access) return principal ?? ANONYMOUS;
  if (!principal) throw new HttpProblem('unauthenticated', 'Send a bearer token (POST /api/v1/auth/token) or an API key');
  if (!access.roles.includes(principal.role)) {
    throw new HttpProblem('forbidden', `This needs one of the roles ${access.roles.join(', ')}; you are ${principal.role}`);
  }
  if (!principal.scopes.has(access.scope)) throw new HttpProblem('forbidden', `This needs the scope ${access.scope}`);
  return principal;
}

/** Mounts routes on a router: authenticate, authorise, validate params/query/body, run, send JSON. */
export function mountRoutes(router: Router, routes: AnyRoute[], authenticate: Authenticate): void {
  for (const route of routes) {
    router[route.method](route.path, ...(route.before ?? []), async (req: Request, res: Response, next: NextFunction) => {
      try {
        const principal = authorise(route.access, await authenticate(req));
        const params = parsePart('params', route.params, req.params);
        const query = parsePart('query', route.query, req.query);
        const body = parsePart('body', route.body, route.body ? (req.body ?? {}) : undefined);
        const result = await route.handler({ params, query, body, principal, req, res });
        if (res.headersSent) return;
        if (result === undefined) {
          res.status(route.status ?? 204).end();
        } else if (result instanceof JsonText) {
          res.status(route.status ?? 200).type('application/json').send(result.text);
        } else {
          res.status(route.status ?? 200).json(result);
        }
      } catch (err) {
        next(err);
      }
    });
  }
}
