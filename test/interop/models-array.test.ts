/**
 * Interop: our `RArray` and `Text` with r-array 0.5.3 over real TCP on 127.0.0.1, ours as the
 * server and as the client: history and live edits both ways converge to equal `toJSON()`; and
 * r-array's module-global `DOEMIT`/`CHANGE` bug, shown on the original and absent here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RArray, Text } from '../../src/entries/array.ts';
import { isPositionKey } from '../../src/models/_position.ts';
import { linkOriginals, linkOverTcp, OriginalRArray, plain } from '../helpers/interop-models.ts';
import { EventLog, scope, waitFor } from '../helpers/interop-net.ts';
import { flush, link } from '../helpers/models.ts';

for (const role of ['server', 'client'] as const) {
  describe(`RArray over TCP with r-array 0.5.3 (ours as ${role})`, () => {
    it('replicates history both ways, deletions included, to equal toJSON()', async (t) => {
      const s = scope(t);
      const ours = new RArray<unknown>('OURS');
      const orig = new OriginalRArray();
      const invalid = new EventLog(ours, ['invalid']);
      ours.push('o1');
      ours.push({ nested: [1, 'two'] });
      ours.unshift('o0');
      ours.splice(1, 1, 'O1', 'O1b');
      orig.push('r1');
      orig.push('r2');
      orig.unshift('r0');
      orig.pop();
      await linkOverTcp(s, role, ours, orig);
      await waitFor(() => ours.length === 6 && orig.length === 6, 'six elements on both sides');
      assert.deepEqual(plain(ours.toJSON()), plain(orig.toJSON()));
      assert.deepEqual(ours.keys(), orig.keys);
      assert.equal(invalid.count('invalid'), 0);
    });

    it('replicates live edits both ways: push, unshift, splice, pop, insert between foreign keys', async (t) => {
      const s = scope(t);
      const ours = new RArray<unknown>('OURS');
      const orig = new OriginalRArray();
      await linkOverTcp(s, role, ours, orig);
      orig.push('a');
      orig.push('c');
      await waitFor(() => ours.length === 2, 'the original pushes');
      ours.insert(ours.first(), 'b', ours.last());
      ours.push('d');
      await waitFor(() => orig.length === 4, 'our inserts');
      orig.splice(0, 1, 'A', 'A2');
      ours.pop();
      orig.unshift('start');
      await waitFor(() => ours.length === 5 && orig.length === 5, 'five on both sides');
      assert.deepEqual(plain(ours.toJSON()), ['start', 'A', 'A2', 'b', 'c']);
      assert.deepEqual(plain(orig.toJSON()), plain(ours.toJSON()));
      for (const key of orig.keys) assert.ok(isPositionKey(key), key);
    });

    it('Text: edits reach r-array as {key: char|null}, one update per edit', async (t) => {
      const s = scope(t);
      const ours = new Text('OURS');
      const orig = new OriginalRArray();
      const link = await linkOverTcp(s, role, ours, orig);
      const before = link.ours.written.updates().length;
      ours.insertText(0, 'hello world');
      ours.deleteText(5, 6);
      await waitFor(() => orig.length === 5, 'the text on the original');
      assert.equal((orig.toJSON() as string[]).join(''), 'hello');
      orig.push('!');
      await waitFor(() => ours.text() === 'hello!', 'the original push');
      await flush();
      assert.equal(link.ours.written.updates().length - before, 2, 'two edits, two updates, and no echo of the push');
    });
  });
}

describe("r-array's bug: module-global DOEMIT/CHANGE shared by every instance", () => {
  /** b pushes inside a's `preupdate` listener, then b replicates to c. */
  async function scenario(
    make: () => { push(v: string): void; on(e: string, f: () => void): void; toJSON(): unknown[] },
    sync: (b: never, c: never) => Promise<unknown>,
    apply: (a: never) => void,
  ) {
    const a = make();
    const b = make();
    const c = make();
    let done = false;
    a.on('preupdate', () => {
      if (!done) {
        done = true;
        b.push('made-in-listener');
      }
    });
    apply(a as never);
    await sync(b as never, c as never);
    await flush();
    return { b: b.toJSON(), c: c.toJSON() };
  }

  it('fails on the original: the push is shown on b but never replicated to c', async () => {
    const { b, c } = await scenario(
      () => new OriginalRArray() as never,
      (b, c) => linkOriginals(b, c),
      (a) => (a as unknown as { _update(u: unknown[]): void })._update([{ VV: 'remote' }, Date.now(), 'Z']),
    );
    assert.deepEqual(b, ['made-in-listener']);
    assert.deepEqual(c, [], 'the original lost the update');
  });

  it('passes on ours', async () => {
    const { b, c } = await scenario(
      () => new RArray<string>() as never,
      (b, c) => link(b, c),
      (a) => (a as unknown as RArray).receiveUpdate([{ VV: 'remote' }, Date.now(), 'Z']),
    );
    assert.deepEqual(b, ['made-in-listener']);
    assert.deepEqual(c, ['made-in-listener']);
  });
});
