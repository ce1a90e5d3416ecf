/**
 * Interop: our `Doc` with crdt 3.6.4 over real TCP on 127.0.0.1, ours as the server and as the
 * client: history and live edits both ways converge to equal `toJSON()`, Seq order included; and
 * crdt's lost deletion (its issue #40), shown on the original and fixed here, also for a crdt
 * replica that learns the deletion from us.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Doc } from '../../src/entries/doc.ts';
import { linkOriginals, linkOverTcp, OriginalDoc, plain } from '../helpers/interop-models.ts';
import { EventLog, scope, waitFor } from '../helpers/interop-net.ts';
import { link } from '../helpers/models.ts';

for (const role of ['server', 'client'] as const) {
  describe(`Doc over TCP with crdt 3.6.4 (ours as ${role})`, () => {
    it('replicates history both ways to equal toJSON(), and Seq order', async (t) => {
      const s = scope(t);
      const ours = new Doc('OURS');
      const orig = new OriginalDoc('ORIG');
      const invalid = new EventLog(ours, ['invalid']);
      ours.add({ id: 'o1', name: 'ada', n: 1 });
      ours.get('o1').set({ n: 2 });
      ours.add({ id: 'o2', gone: true });
      ours.rm('o2');
      ours.createSeq('list', 'L').push({ id: 's-ours', text: 'from ours' });
      orig.add({ id: 'r1', name: 'bob', tags: ['x', 'y'] });
      orig.set('r1', { name: 'BOB' });
      orig.createSeq('list', 'L').push({ id: 's-orig', text: 'from crdt' });
      await linkOverTcp(s, role, ours, orig);
      await waitFor(() => Object.keys(orig.toJSON()).length === 4 && ours.size === 4, 'four rows on both sides');
      assert.deepEqual(plain(ours.toJSON()), plain(orig.toJSON()));
      assert.deepEqual(
        ours
          .createSeq('list', 'L')
          .toJSON()
          .map((r) => r.id),
        orig
          .createSeq('list', 'L')
          .toJSON()
          .map((r) => r.id),
      );
      assert.equal(invalid.count('invalid'), 0);
    });

    it('replicates live edits both ways: add, field sets, deletions', async (t) => {
      const s = scope(t);
      const ours = new Doc('OURS');
      const orig = new OriginalDoc('ORIG');
      await linkOverTcp(s, role, ours, orig);
      orig.add({ id: 'a', v: 1 });
      ours.add({ id: 'b', v: 2 });
      await waitFor(() => ours.has('a') && orig.rows.b !== undefined, 'both rows on both sides');
      ours.get('a').set('v', 10);
      orig.set('b', { w: 'x' });
      await waitFor(() => orig.get('a').get('v') === 10 && ours.get('b').get('w') === 'x', 'the field sets');
      orig.rm('a');
      ours.add({ id: 'c', v: 3 });
      await waitFor(() => !ours.has('a') && orig.rows.c !== undefined, 'the deletion and the add');
      assert.deepEqual(plain(ours.toJSON()), plain(orig.toJSON()));
      assert.deepEqual(plain(ours.toJSON()), { b: { id: 'b', v: 2, w: 'x' }, c: { id: 'c', v: 3 } });
    });

    it('a crdt replica that was away learns a deletion from us (our history keeps [rowId, null])', async (t) => {
      const s = scope(t);
      const ours = new Doc('OURS');
      const orig = new OriginalDoc('ORIG');
      ours.add({ id: 'keep', v: 1 });
      ours.add({ id: 'gone', v: 2 });
      let tcp = await linkOverTcp(s, role, ours, orig);
      await waitFor(() => orig.rows.gone !== undefined, 'the rows on the original');
      tcp.ours.socket.destroy();
      tcp.ours.stream.destroy();
      (tcp.original.stream as unknown as { destroy(): void }).destroy();
      await waitFor(() => ours.streamCount === 0, 'the link closed');
      ours.rm('gone');
      tcp = await linkOverTcp(s, role, ours, orig);
      await waitFor(() => orig.rows.gone === undefined, 'the deletion on the original');
      assert.deepEqual(plain(orig.toJSON()), { keep: { id: 'keep', v: 1 } });
    });
  });
}

describe("crdt's bug #40: a deletion never reaches a replica through history", () => {
  it('fails on the original: the replica that was away keeps the deleted row', async () => {
    const a = new OriginalDoc('A');
    const b = new OriginalDoc('B');
    a.add({ id: 'r1', v: 1 });
    a.add({ id: 'r2', v: 2 });
    const close = await linkOriginals(a, b);
    close();
    a.rm('r1');
    const invalid: unknown[] = [];
    b.on('invalid', (e) => invalid.push(e));
    await linkOriginals(a, b);
    assert.deepEqual(Object.keys(a.toJSON()), ['r2']);
    assert.deepEqual(Object.keys(b.toJSON()).sort(), ['r1', 'r2'], 'the original kept the deleted row');
    assert.ok(invalid.length > 0, 'and refused its own [null, ts, source] history lines');
  });

  it('passes on ours', async () => {
    const a = new Doc('A');
    const b = new Doc('B');
    a.add({ id: 'r1', v: 1 });
    a.add({ id: 'r2', v: 2 });
    const close = await link(a, b);
    await close();
    a.rm('r1');
    await link(a, b);
    assert.deepEqual(Object.keys(b.toJSON()), ['r2']);
  });
});
