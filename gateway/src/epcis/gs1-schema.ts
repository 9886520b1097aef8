import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * GS1's EPCIS 2.0 JSON schema (gs1/EPCIS-JSON-Schema.json, from the GS1 EPCIS repository; see gs1/LICENSE), the
 * contract a capture document must meet before anything is stored. Compiled once, on first use.
 */
let validate: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validate) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    // A require, not a read relative to __dirname: the gateway's bundle (gateway/scripts/build.js) carries the schema.
    validate = ajv.compile(require('./gs1/EPCIS-JSON-Schema.json') as object);
  }
  return validate;
}

export interface SchemaIssue {
  /** JSON pointer of the failing value, e.g. /epcisBody/eventList/0/eventTime. */
  path: string;
  message: string;
}

/** Checks a document (EPCISDocument, EPCISQueryDocument, or a bare event) against the GS1 schema. */
export function checkGs1Schema(doc: unknown): SchemaIssue[] {
  const v = compiled();
  if (v(doc)) return [];
  const errors = (v.errors ?? []).filter((e: ErrorObject) => e.keyword !== 'if' && e.keyword !== 'allOf' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  // The deepest paths name the actual fault; "must match then" wrappers above them say nothing more.
  const issues = (errors.length ? errors : (v.errors ?? [])).map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? `: ${String((e.params as { additionalProperty?: string }).additionalProperty)}` : ''}${e.keyword === 'enum' ? ` (${(e.params as { allowedValues?: unknown[] }).allowedValues?.join(', ')})` : ''}`,
  }));
  const seen = new Set<string>();
  return issues
    .sort((a, b) => b.path.split('/').length - a.path.split('/').length)
    .filter((i) => (seen.has(`${i.path}|${i.message}`) ? false : (seen.add(`${i.path}|${i.message}`), true)))
    .slice(0, 20);
}
