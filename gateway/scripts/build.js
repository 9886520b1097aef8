#!/usr/bin/env node
/**
 * Builds the gateway into one CommonJS file, `gateway/dist/cradle-gateway.js`, which `npm start` and the Docker image
 * run on plain Node. Under tsx the same code cost ~12% more CPU per ingested scan (bench trace-ingest: ~110 µs of
 * gateway CPU per event against ~97 bundled, in the same runs) and ~80 MB more RSS. What is bundled and what stays
 * external: protocol/scripts/bundle.js.
 *
 * `npm run build -w @cradle/gateway [-- outfile]`. dist/ is not committed; `npm start` rebuilds before it starts, so a
 * stale bundle never runs.
 */
const path = require('node:path');
const { buildCli } = require('../../protocol/scripts/bundle');

const root = path.join(__dirname, '..');
/**
 * No keepNames: it named every closure as it was made, ~3.6% of the gateway's CPU on the ingest path (profiled). No
 * class of the gateway's is renamed in the bundle; functions that are (a numeric suffix, e.g. `up2`) show under their
 * source names in stack traces through the source map. Tests and benchmarks build with the same options.
 */
const GATEWAY_BUNDLE = { keepNames: false };
module.exports = { GATEWAY_BUNDLE };

if (require.main === module) buildCli(path.join(root, 'src', 'main.ts'), path.join(root, 'dist', 'cradle-gateway.js'), GATEWAY_BUNDLE);
