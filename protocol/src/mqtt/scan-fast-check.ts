import Ajv, { type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { isValidGtin } from '../gs1/check-digit';

/**
 * The scan channel's accept path: the cradle/v1 scan schema (zod, payloads.ts) compiled by Ajv. Every ingested scan is
 * checked, and zod's parse (which builds a checked copy of the message, with an issue context per check) was about
 * 3 µs and 4 KB of garbage per scan, the largest allocator on the gateway's ingest path; Ajv's compiled check walks the
 * parsed JSON in place.
 *
 * zod stays the contract and its messages the errors: the JSON Schema is generated from the zod schema
 * (z.toJSONSchema), and anything Ajv does not accept goes to zod, which explains it. What JSON Schema cannot say is
 * checked after Ajv: the GTIN's check digit (a zod refinement) and the Digital Link's URL form (zod's url(), checked by
 * zod itself, as the field is rare). Objects are closed and unknown keys removed, as zod's objects strip them; a
 * property test holds this path to zod's result.
 */
export function scanFastCheck(schema: z.ZodType, digitalLink: z.ZodType): (json: unknown) => boolean {
  let validate: ValidateFunction | null = null;
  return (json) => {
    validate ??= compile(schema);
    if (!validate(json)) return false;
    const m = json as { parsed: { gtin?: string }; digitalLink?: string };
    if (m.parsed.gtin !== undefined && !isValidGtin(m.parsed.gtin)) return false;
    if (m.digitalLink !== undefined && !digitalLink.safeParse(m.digitalLink).success) return false;
    return true;
  };
}

function compile(schema: z.ZodType): ValidateFunction {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  delete json.$schema;
  closeObjects(json);
  // unicodeRegExp off: zod tests its patterns as plain JavaScript regular expressions.
  const ajv = new Ajv({ removeAdditional: true, unicodeRegExp: false, allErrors: false, strict: true });
  return ajv.compile(json);
}

/** additionalProperties: false on every object schema with properties (zod's strip), no format keywords (see above). */
function closeObjects(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.type === 'object' && o.properties && o.additionalProperties === undefined) o.additionalProperties = false;
  if (o.type === 'string' && o.format !== undefined) delete o.format;
  for (const v of Object.values(o)) closeObjects(v);
}
