#!/usr/bin/env -S node --max-semi-space-size=1
// --max-semi-space-size=1 (MiB): V8 otherwise grows the young generation to 16 MiB per semi-space while modules
// load and gives it back only when its memory reducer happens to run; measured (npm run bench -- edge-outbox), the
// idle agent then sits at ~88 MB RSS in most runs instead of ~70 MB. A scan is a few hundred bytes, so the small
// nursery costs nothing measurable in throughput. Run it as `node --max-semi-space-size=1 bin/cradle-edge.js` where
// the shebang is not used (npm start, the Docker command); it cannot be set from inside (V8 sizes the heap first).
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
