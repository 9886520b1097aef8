#!/usr/bin/env node
/**
 * Builds the agent into one CommonJS file, `edge-agent/dist/cradle-edge.js`, so it runs on plain Node without tsx
 * (tsx's esbuild service and ESM loader worker cost ~85 MB of RSS on their own; the agent's idle target is < 80 MB).
 *
 * Bundled: edge-agent's sources and the workspace packages it uses (`@cradle/*`, which are TypeScript sources with
 * no build of their own). External: every other bare import, i.e. real npm packages (mqtt, serialport, pino,
 * prom-client, yaml, zod, node-opcua ...), resolved from node_modules at run time as usual; and node: builtins.
 * Lazy `require()`s in the sources stay lazy in the bundle (esbuild wraps the module and initialises it on first
 * require), so node-opcua is still loaded only when an OPC-UA endpoint is configured.
 *
 * `npm run build -w @cradle/edge-agent`; `bin/cradle-edge.js` runs the bundle when it exists. dist/ is not committed.
 */
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');

/** Every bare import that is not a workspace package (`@cradle/...`) stays a run-time require. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@cradle/')) return undefined; // bundle workspace sources
      if (path.isAbsolute(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

async function main() {
  const outfile = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'dist', 'cradle-edge.js');
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'linked',
    // Stack traces and pino's err serialiser keep readable class names.
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [externalNpmPackages],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + (o.bytes ?? 0), 0);
  const inputs = Object.keys(result.metafile.inputs).length;
  process.stdout.write(`built ${path.relative(process.cwd(), outfile)} (${inputs} sources, ${(bytes / 1024).toFixed(0)} KiB with map)\n`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
