import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs build script without types
import { buildBrowser } from '../../scripts/build-browser.mjs';

describe('bundles', () => {
  it('the browser bundle has no Node built-in and stays under 160 KB unminified', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-bundle-'));
    try {
      await buildBrowser(dir);
      const code = await readFile(join(dir, 'scuttlebutt.js'), 'utf8');
      assert.doesNotMatch(code, /from ["']node:|require\(["']node:/);
      assert.ok(code.length < 160_000, `bundle is ${code.length} bytes`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the protocol core imports nothing from Node', async () => {
    const result = await build({
      entryPoints: [new URL('../../src/protocol/session.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'neutral',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(
      inputs.every((path) => !path.startsWith('node:')),
      inputs.join(', '),
    );
    assert.ok(
      inputs.every((path) => path.includes('src/protocol/') || path.endsWith('src/errors.ts')),
      inputs.join(', '),
    );
  });
});
