/** Commands the gateway sends down on `.../command`; parsed at the edge, applied once per id. */
import { z } from 'zod';

const base = { v: z.literal(1), id: z.string().min(1), ts: z.string() };
export const commandSchema = z.discriminatedUnion('command', [
  z.object({ ...base, command: z.literal('set_order'), args: z.object({ line: z.string().default('default'), orderId: z.string().min(1) }) }),
  z.object({ ...base, command: z.literal('close_order'), args: z.object({ line: z.string().default('default') }) }),
  z.object({
    ...base,
    command: z.literal('set_batch'),
    args: z.object({ line: z.string().default('default'), batch: z.string().min(1), gtin: z.string().optional() }),
  }),
]);
export type Command = z.infer<typeof commandSchema>;

export type CommandParse = { ok: true; command: Command } | { ok: false; error: string };

/** Parses a command payload; unknown commands and malformed ones are errors, never partially applied. */
export function parseCommand(payload: Buffer): CommandParse {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, error: 'command is not JSON' };
  }
  const r = commandSchema.safeParse(doc);
  return r.success ? { ok: true, command: r.data } : { ok: false, error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/** Remembers the last ids seen, so a command redelivered under QoS 1 is applied once. */
export class SeenIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 1000) {}
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}
