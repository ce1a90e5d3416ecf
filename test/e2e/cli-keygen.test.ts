import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Model } from '../../src/index.ts';
import { loadKeyPair, securityFor } from '../../src/security/index.ts';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: new URL('../..', import.meta.url).pathname }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('scuttlebutt keygen', () => {
  it('writes an owner-only key pair whose id signs updates, and refuses to overwrite it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-keygen-'));
    try {
      const first = await cli(['keygen', '--dir', join(dir, 'keys')]);
      assert.equal(first.code, 0, first.stderr);
      const out = JSON.parse(first.stdout) as { id: string; privateKey: string; publicKey: string };
      assert.match(out.id, /^ed25519_/);
      assert.equal((await stat(out.privateKey)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'keys'))).mode & 0o777, 0o700);
      const pair = await loadKeyPair(out.privateKey);
      assert.equal(pair.id, out.id);
      const model = new Model(securityFor(pair));
      assert.equal(model.id, out.id);
      model.set('k', 1);
      assert.equal(model.history()[0]?.length, 4, 'signed');

      const again = await cli(['keygen', '--dir', join(dir, 'keys')]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /--force/);
      const bad = await cli(['keygen', '--scheme', 'dsa']);
      assert.equal(bad.code, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
