import { z } from 'zod';
import { problemTypes } from './problem';
import type { AnyRoute } from './route';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of the schema that validates the input. */
function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete s.$schema;
  return s;
}

function objectProperties(schema: z.ZodType | undefined): Array<[string, JsonSchema, boolean]> {
  if (!schema) return [];
  const js = toSchema(schema, 'input');
  const props = (js.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((js.required ?? []) as string[]);
  return Object.entries(props).map(([k, v]) => [k, v, required.has(k)]);
}

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests,
 * so the document cannot drift from what the server accepts.
 */
export function buildOpenApi(routes: AnyRoute[], info: { title: string; version: string; description?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters = [
      ...objectProperties(r.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...objectProperties(r.query).map(([name, schema, required]) => ({ name, in: 'query', required, schema })),
    ];
    const status = String(r.status ?? 200);
    const content: Record<string, unknown> = {};
    if (r.response) content['application/json'] = { schema: toSchema(r.response, 'output') };
    for (const ct of r.produces ?? []) content[ct] = {};
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: r.tags,
      operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters,
      responses: {
        [status]: { description: 'Success', ...(Object.keys(content).length ? { content } : {}) },
        '4XX': { $ref: '#/components/responses/Problem' },
      },
      ...('public' in r.access
        ? { security: [] }
        : { 'x-cradle-access': { roles: r.access.roles, scope: r.access.scope } }),
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } };
    (paths[path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', enum: Object.keys(problemTypes).map((s) => `/problems/${s}`) },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            requestId: { type: 'string' },
            errors: {
              type: 'array',
              items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } } },
            },
          },
        },
      },
      responses: {
        Problem: { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
  };
}
