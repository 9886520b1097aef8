/**
 * Bundles a service's TypeScript entry into one CommonJS file that runs on plain Node, without tsx. Used by the
 * gateway's and the edge agent's build scripts (protocol/ is the package both depend on, so the helper lives here).
 *
 * Bundled: the service's sources and the workspace packages it uses (`@cradle/*`, TypeScript sources with no build of
 * their own), JSON they require included. External: every other bare import, i.e. real npm packages, resolved from
 * node_modules at run time as usual (so the output must lie inside the repository), and node: builtins. Lazy
 * `require()`s stay lazy (esbuild wraps the module and initialises it on first require).
 */
const path = require('node:path');
const esbuild = require('esbuild');

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

/**
 * Builds `entry` into `outfile` (with a linked source map); returns a one-line summary. `keepNames` (default true)
 * keeps every function's and class's name as written even where the bundle renames it (same name in two modules):
 * readable class names in logs, at the price of a call naming each closure as it is made.
 */
async function bundle(entry, outfile, { keepNames = true } = {}) {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'linked',
    keepNames,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [externalNpmPackages],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + (o.bytes ?? 0), 0);
  const inputs = Object.keys(result.metafile.inputs).length;
  return `built ${path.relative(process.cwd(), outfile)} (${inputs} sources, ${(bytes / 1024).toFixed(0)} KiB with map)`;
}

/** For a package's build script: `node scripts/build.js [outfile]`, exit 1 with the error on failure. */
function buildCli(entry, defaultOutfile, options) {
  const outfile = process.argv[2] ? path.resolve(process.argv[2]) : defaultOutfile;
  bundle(entry, outfile, options).then(
    (summary) => process.stdout.write(`${summary}\n`),
    (err) => {
      process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}

module.exports = { bundle, buildCli };
