import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'entries/model': 'src/entries/model.ts',
    'entries/events': 'src/entries/events.ts',
    'entries/value': 'src/entries/value.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  tsconfig: 'tsconfig.build.json',
});
