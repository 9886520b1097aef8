import fs from 'node:fs';
import path from 'node:path';

const built = new Map<string, Promise<string>>();

/**
 * `entry` as one esbuild bundle on plain Node, the way `npm start` runs the gateway (protocol/scripts/bundle.js):
 * built once per benchmark process from the current sources, into `outDir` (inside the repository, so npm packages
 * resolve from node_modules) under a name of this process's own, removed at exit. A concurrent build or a stale
 * `npm start` bundle never stands in for the code under test.
 */
export function bundled(entry: string, outDir: string, options: { keepNames?: boolean } = {}): Promise<string> {
  let out = built.get(entry);
  if (!out) {
    out = (async () => {
      const outfile = path.join(outDir, `bench-${process.pid}-${path.basename(entry, '.ts')}.js`);
      const { bundle } = require('../../../protocol/scripts/bundle.js') as { bundle(entry: string, outfile: string, options: { keepNames?: boolean }): Promise<string> };
      await bundle(entry, outfile, options);
      process.once('exit', () => {
        for (const f of [outfile, `${outfile}.map`]) fs.rmSync(f, { force: true });
      });
      return outfile;
    })();
    built.set(entry, out);
  }
  return out;
}
