import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentConfigSchema, type AgentConfig } from './schema';

export class ConfigError extends Error {
  readonly code = 'EDGE_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses a config document (already read) into a validated AgentConfig; relative paths resolve against `baseDir`. */
export function parseConfig(text: string, format: 'yaml' | 'json', baseDir: string): AgentConfig {
  let doc: unknown;
  try {
    // yaml (~70 modules) is loaded only for a YAML config; a JSON-configured agent never pays for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    doc = format === 'json' ? JSON.parse(text) : (require('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    throw new ConfigError(`config is not valid ${format.toUpperCase()}: ${(e as Error).message}`);
  }
  const r = agentConfigSchema.safeParse(doc);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`config is invalid:\n${lines.join('\n')}`);
  }
  const c = r.data;
  c.outbox.dir = path.resolve(baseDir, c.outbox.dir);
  return c;
}

/** Reads and validates the config file at `file` (.yaml/.yml or .json). */
export function loadConfig(file: string): AgentConfig {
  const text = fs.readFileSync(file, 'utf8');
  return parseConfig(text, /\.json$/i.test(file) ? 'json' : 'yaml', path.dirname(path.resolve(file)));
}
