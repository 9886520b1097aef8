import type { AiSpec } from './ai-spec';
import { AI_SPECS } from './ai-table.generated';

const BY_AI = new Map<string, AiSpec>(AI_SPECS.map((s) => [s.ai, s]));

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
  for (let len = 2; len <= 4; len++) {
    if (pos + len > data.length) return undefined;
    const c = data.charCodeAt(pos + len - 1);
    if (c < 48 || c > 57) return undefined;
    const spec = BY_AI.get(data.slice(pos, pos + len));
    if (spec) return spec;
  }
  return undefined;
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

/** Fixed total length of the AI's value, or undefined when the last component is variable or optional. */
export function fixedValueLength(spec: AiSpec): number | undefined {
  let total = 0;
  for (const c of spec.components) {
    if (c.optional || c.min !== c.max) return undefined;
    total += c.max;
  }
  return total;
}

/** Longest value the AI allows. */
export function maxValueLength(spec: AiSpec): number {
  let total = 0;
  for (const c of spec.components) total += c.max;
  return total;
}
