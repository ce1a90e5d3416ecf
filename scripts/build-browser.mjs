// Builds dist/browser/scuttlebutt.js: one ES module for browsers, with no Node built-in left in it.
// `node:events` becomes src/_browser/events.ts and the Node stream adapter a stub that throws.

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

const swapNodeOnly = {
  name: 'swap-node-only',
  setup(b) {
    b.onResolve({ filter: /^node:events$/ }, () => ({ path: `${root}src/_browser/events.ts` }));
    b.onResolve({ filter: /stream\/replication-stream\.js$/ }, () => ({ path: `${root}src/_browser/no-node-stream.ts` }));
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${args.path} must not reach the browser bundle (imported by ${args.importer})` }],
    }));
  },
};

/** Builds the browser bundle into `outdir`; returns esbuild's metafile. */
export async function buildBrowser(outdir = `${root}dist/browser`) {
  const result = await build({
    entryPoints: { scuttlebutt: `${root}src/browser.ts`, persist: `${root}src/persist/browser.ts` },
    outdir,
    metafile: true,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    minify: false,
    plugins: [swapNodeOnly],
    logLevel: 'warning',
  });
  return result.metafile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildBrowser();
  console.log('built dist/browser/scuttlebutt.js and dist/browser/persist.js');
}
