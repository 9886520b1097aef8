#!/usr/bin/env node
/**
 * Builds the agent into one CommonJS file, `edge-agent/dist/cradle-edge.js`, so it runs on plain Node without tsx
 * (tsx's esbuild service and ESM loader worker cost ~85 MB of RSS on their own; the agent's idle target is < 80 MB).
 * What is bundled and what stays external: protocol/scripts/bundle.js. node-opcua stays a lazy require, loaded only
 * when an OPC-UA endpoint is configured.
 *
 * `npm run build -w @cradle/edge-agent`; `bin/cradle-edge.js` runs the bundle when it exists. dist/ is not committed.
 */
const path = require('node:path');
const { buildCli } = require('../../protocol/scripts/bundle');

const root = path.join(__dirname, '..');
buildCli(path.join(root, 'src', 'main.ts'), path.join(root, 'dist', 'cradle-edge.js'));
