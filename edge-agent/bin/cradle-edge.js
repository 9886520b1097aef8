#!/usr/bin/env node
// Runs the built bundle (dist/cradle-edge.js, from `npm run build -w @cradle/edge-agent`) when it is present: plain
// Node, no tsx (whose esbuild service and ESM loader worker cost ~85 MB RSS on their own). Without a build it falls
// back to running the TypeScript sources through tsx, as a checkout does before its first build. dist/ is not
// committed: build where you deploy, and rebuild after changing the sources (a stale bundle runs stale code).
const fs = require('node:fs');
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'cradle-edge.js');
if (fs.existsSync(bundle)) {
  require(bundle);
} else {
  require('tsx/cjs');
  require('../src/main.ts');
}
