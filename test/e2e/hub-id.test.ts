import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileStorage } from '../../src/hub/file-storage.ts';
import { Model } from '../../src/index.ts';

describe('hub file storage', () => {
  it('keeps the hub id across restarts, so clocks do not grow a source per restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-hub-id-'));
    try {
      const first = new Model();
      const a = fileStorage(dir);
      await a.load(first);
      first.set('k', 1);
      await a.close();
      const second = new Model();
      const b = fileStorage(dir);
      await b.load(second);
      assert.equal(second.id, first.id);
      assert.equal((await readFile(join(dir, 'id'), 'utf8')).trim(), first.id);
      assert.equal(second.get('k'), 1);
      second.set('k', 2); // a local write after restart is newer than the loaded one
      assert.equal(second.get('k'), 2);
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
