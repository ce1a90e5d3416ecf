/**
 * Interop: our `ExpiringModel` with expiry-model 1.0.2 over real TCP on 127.0.0.1, ours as the
 * server and as the client: history and live edits (object merges, deletions) both ways converge
 * to equal `toJSON()`; and expiry-model's invalid history comparator (it returns 0 for different
 * sources, so history is not in timestamp order and a fresh replica drops records as old data),
 * shown on the original and absent here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiringModel } from '../../src/entries/expiring.ts';
import { linkOriginals, linkOverTcp, OriginalExpiry, plain } from '../helpers/interop-models.ts';
import { EventLog, scope, waitFor } from '../helpers/interop-net.ts';
import { link } from '../helpers/models.ts';

for (const role of ['server', 'client'] as const) {
  describe(`ExpiringModel over TCP with expiry-model 1.0.2 (ours as ${role})`, () => {
    it('replicates history and live edits both ways to equal toJSON()', async (t) => {
      const s = scope(t);
      const ours = new ExpiringModel('OURS');
      const orig = OriginalExpiry();
      t.after(() => ours.dispose());
      const invalid = new EventLog(ours, ['invalid']);
      ours.set('a', 1);
      ours.set('obj', { x: 1 });
      orig.set('b', 'two');
      orig.set('gone', 'soon');
      orig.set('gone', null);
      await linkOverTcp(s, role, ours, orig);
      await waitFor(() => ours.get('b') === 'two' && orig.get('a') === 1, 'history both ways');
      orig.set('obj', { y: 2 });
      await waitFor(() => (ours.get('obj') as { y?: number } | null)?.y === 2, 'the merge on ours');
      ours.set('obj', { z: 3 });
      ours.delete('a');
      await waitFor(() => orig.get('a') === null && (orig.get('obj') as { z?: number }).z === 3, 'live edits on the original');
      assert.deepEqual(plain(ours.toJSON()), plain(orig.toJSON()));
      assert.deepEqual(plain(ours.toJSON()), { b: 'two', obj: { x: 1, y: 2, z: 3 } });
      assert.equal(invalid.count('invalid'), 0);
    });
  });
}

describe("expiry-model's bug: an invalid history comparator", () => {
  /** Three records: A's at now-100 and now-50, B's at now-10, applied so that the LRU order is A@-50, B@-10, A@-100. */
  const updates = (now: number) => [
    [['z', 'fromA-100'], now - 100, 'A'],
    [['y', 'fromB-10'], now - 10, 'B'],
    [['x', 'fromA-50'], now - 50, 'A'],
  ];

  it('fails on the original: a fresh replica misses a record', async () => {
    const a = OriginalExpiry();
    for (const u of updates(Date.now())) (a as unknown as { _update(u: unknown): void })._update(u);
    const fresh = OriginalExpiry();
    await linkOriginals(a, fresh);
    assert.equal(Object.keys(a.toJSON()).length, 3);
    assert.equal(Object.keys(fresh.toJSON()).length, 2, 'the original lost a record');
  });

  it('passes on ours, to a fresh replica of ours or of the original', async () => {
    const a = new ExpiringModel('S');
    for (const u of updates(Date.now())) a.receiveUpdate(u as never);
    const h = a.history();
    assert.deepEqual(
      h.map((u) => u[1]),
      h.map((u) => u[1]).sort((x, y) => x - y),
    );
    const fresh = new ExpiringModel('F');
    await link(a, fresh);
    assert.equal(Object.keys(fresh.toJSON()).length, 3);
    const freshOriginal = OriginalExpiry();
    const stream = a.createStream();
    const theirs = freshOriginal.createStream();
    (stream.pipe(theirs as unknown as NodeJS.WritableStream) as unknown as NodeJS.ReadableStream).pipe(stream);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(Object.keys(freshOriginal.toJSON()).length, 3);
    a.dispose();
    fresh.dispose();
  });
});
