export { EdgeAgent } from './agent/agent';
export { loadConfig, parseConfig, ConfigError } from './config/load';
export { agentConfigSchema, type AgentConfig } from './config/schema';
export { Outbox } from './outbox/outbox';
export { OutboxPublisher } from './outbox/publisher';
