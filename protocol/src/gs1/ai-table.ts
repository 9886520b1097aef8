import type { AiSpec } from './ai-spec';
import { AI_SPECS } from './ai-table.generated';

/** A dictionary entry with the lengths the parser asks for on every element, computed once at load. */
interface ResolvedAiSpec extends AiSpec {
  readonly fixedLength: number | null;
  readonly maxLength: number;
}

const RESOLVED: readonly ResolvedAiSpec[] = AI_SPECS.map((s) => ({
  ...s,
  fixedLength: computeFixed(s) ?? null,
  maxLength: s.components.reduce((n, c) => n + c.max, 0),
}));
const BY_AI = new Map<string, ResolvedAiSpec>(RESOLVED.map((s) => [s.ai, s]));

/** AI lengths in use for each two-digit prefix, so an unknown AI kept on request still has a definite length. */
const LENGTHS_BY_PREFIX = new Map<string, number>();
for (const s of AI_SPECS) LENGTHS_BY_PREFIX.set(s.ai.slice(0, 2), s.ai.length);

/** The Syntax Dictionary entry for an AI, or undefined when GS1 has not assigned it. */
export function aiSpec(ai: string): AiSpec | undefined {
  return BY_AI.get(ai);
}

/** Every AI in the dictionary, in lexical order. */
export function knownAis(): readonly string[] {
  return AI_SPECS.map((s) => s.ai);
}

/**
 * The known AI starting at `pos` (AIs are prefix-free, so at most one of the 2, 3 and 4 digit readings exists).
 * Returns undefined when no assigned AI starts there.
 */
export function aiAt(data: string, pos: number): AiSpec | undefined {
  const a = data.charCodeAt(pos) - 48;
  const b = data.charCodeAt(pos + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return undefined;
  // GS1 fixes an AI's length by its first two digits (checked against the dictionary in ai-table.test.ts).
  const len = LENGTH_BY_PREFIX_CODE[a * 10 + b] ?? 0;
  if (len === 0 || pos + len > data.length) return undefined;
  if (len === 2) return SPEC_BY_PREFIX_CODE[a * 10 + b];
  for (let i = pos + 2; i < pos + len; i++) {
    const c = data.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return BY_AI.get(data.slice(pos, pos + len));
}

const LENGTH_BY_PREFIX_CODE: number[] = new Array<number>(100).fill(0);
const SPEC_BY_PREFIX_CODE: (AiSpec | undefined)[] = new Array<AiSpec | undefined>(100).fill(undefined);
for (const s of RESOLVED) {
  const code = Number(s.ai.slice(0, 2));
  LENGTH_BY_PREFIX_CODE[code] = s.ai.length;
  if (s.ai.length === 2) SPEC_BY_PREFIX_CODE[code] = s;
}

/** The length an AI starting with these two digits has (GS1 assigns lengths by prefix), if any AI uses the prefix. */
export function aiLengthForPrefix(prefix: string): number | undefined {
  return LENGTHS_BY_PREFIX.get(prefix);
}

/** True when `ai` matches a Syntax Dictionary pattern such as "31nn" or "390n". */
export function aiMatchesPattern(ai: string, pattern: string): boolean {
  if (ai.length !== pattern.length) return false;
  for (let i = 0; i < ai.length; i++) {
    if (pattern[i] !== 'n' && pattern[i] !== ai[i]) return false;
  }
  return true;
}

function computeFixed(spec: AiSpec): number | undefined {
  let total = 0;
  for (const c of spec.components) {
    if (c.optional || c.min !== c.max) return undefined;
    total += c.max;
  }
  return total;
}

/** Fixed total length of the AI's value, or undefined when the last component is variable or optional. */
export function fixedValueLength(spec: AiSpec): number | undefined {
  const r = spec as Partial<ResolvedAiSpec>;
  return r.fixedLength !== undefined ? (r.fixedLength ?? undefined) : computeFixed(spec);
}

/** Longest value the AI allows. */
export function maxValueLength(spec: AiSpec): number {
  return (spec as Partial<ResolvedAiSpec>).maxLength ?? spec.components.reduce((n, c) => n + c.max, 0);
}
