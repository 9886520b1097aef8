/** Jest runs TypeScript through SWC (no type-check here: `npm run typecheck` does that with tsc). */
const fs = require('node:fs');
const path = require('node:path');

const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];
const workspaces = ['protocol', 'gateway', 'edge-agent', 'connectors', 'flows', 'admin', 'bench'];

module.exports = {
  testEnvironment: 'node',
  setupFiles: [path.join(__dirname, 'jest.setup.js')],
  roots: workspaces.map((w) => path.join(__dirname, w, 'src')).filter((d) => fs.existsSync(d)),
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc },
  maxWorkers: 2,
  testTimeout: 30000,
};
