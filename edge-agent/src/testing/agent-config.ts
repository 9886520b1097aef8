/** A minimal valid agent config for tests, overridable per test. */
import { agentConfigSchema, type AgentConfig } from '../config/schema';

export function testConfig(over: Record<string, unknown>): AgentConfig {
  return agentConfigSchema.parse({
    siteId: `t${Math.random().toString(36).slice(2, 10)}`,
    deviceId: 'pc1',
    http: { port: 0 },
    log: { level: 'silent' },
    ...over,
  });
}

export function scannerConfig(id: string, port: string, over: Record<string, unknown> = {}) {
  return { id, port, baudRate: 115200, terminator: 'CR', reconnect: { initialMs: 100, maxMs: 500 }, ...over };
}
