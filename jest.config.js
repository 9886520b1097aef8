/** Jest runs TypeScript through SWC (no type-check here: `npm run typecheck` does that with tsc). */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/protocol/src', '<rootDir>/gateway/src', '<rootDir>/edge-agent/src', '<rootDir>/connectors/src', '<rootDir>/flows', '<rootDir>/bench/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc },
  // ESM-only dependencies are compiled to CommonJS for Jest's module registry.
  transformIgnorePatterns: ['/node_modules/(?!(@electric-sql/pglite)/)'],
  maxWorkers: 2,
  testTimeout: 30000,
};
