import { defineConfig } from 'tsup';

/** One entry per public subpath (see package.json "exports"). */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'entries/model': 'src/entries/model.ts',
    'entries/events': 'src/entries/events.ts',
    'entries/value': 'src/entries/value.ts',
    'entries/array': 'src/entries/array.ts',
    'entries/doc': 'src/entries/doc.ts',
    'entries/bucket': 'src/entries/bucket.ts',
    'entries/expiring': 'src/entries/expiring.ts',
    'entries/append-only': 'src/entries/append-only.ts',
    'security/index': 'src/security/index.ts',
    'persist/index': 'src/persist/index.ts',
    'net/index': 'src/net/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  shims: true,
  tsconfig: 'tsconfig.build.json',
});
