/**
 * Edge cases of the reset extension (tombstone collection), each a regression test for a problem
 * a review of the first version found: a peer that connects while a reset comes in, an update
 * of the same source that would overtake a held-back one, a reset cut off before its "SYNC",
 * a reset that must reach the disk, resets nobody asked for, and signed multi-key RArray updates.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RArray } from '../../src/entries/array.ts';
import { Doc } from '../../src/entries/doc.ts';
import { Model, type ReplicationStream } from '../../src/index.ts';
import { persist } from '../../src/persist/index.ts';
import { tempDir } from '../helpers/persist-fs.ts';
import { connect, settle, until } from '../helpers/streams.ts';

const NOW = 1_000_000;
const collecting = (id: string) => new Model({ id, now: () => NOW, tombstoneTtlMs: 1000 });

/** A hand-driven peer "A" on a stream of `model` that announced resets. */
function fakePeer(model: Model, header: string): ReplicationStream {
  const stream = model.createStream();
  stream.resume();
  stream.write(`${header}\n`);
  return stream;
}

async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await settle();
}

describe('reset edge cases', () => {
  it('a peer that connects while a reset comes in is judged on its header clock, and dropped data does not stay there', async () => {
    const b = collecting('B');
    const n = collecting('N');
    for (const m of [b, n]) m.receiveUpdate([['k', 'old'], 5, 'S']);
    const fromA = fakePeer(b, '{"id":"A","clock":{"S":20},"reset":1}');
    fromA.write('{"reset":{"clock":{"S":20},"collected":{"S":10}}}\n[["x","vx"],20,"S"]\n');
    await settle();
    const bn = await connect(b, n); // mid-reset
    fromA.write('"SYNC"\n');
    await until(() => n.get('k') === undefined, 2000, 'N drops k');
    assert.deepEqual(n.toJSON(), { x: 'vx' });
    assert.equal(bn.as.session.stats.resets, 1);
  });

  it('an update of the same source from another peer does not overtake one held back during a reset', async () => {
    const b = collecting('B');
    const c = collecting('C');
    c.receiveUpdate([['q', 'vq'], 5, 'Q']);
    await connect(b, c);
    const fromA = fakePeer(b, '{"id":"A","clock":{"S":20,"Q":5},"reset":1}');
    fromA.write('{"reset":{"clock":{"S":20,"Q":5},"collected":{"Q":5}}}\n[["q","vq"],5,"Q"]\n[["x","vx"],20,"S"]\n');
    await settle();
    const fromD = fakePeer(b, '{"id":"D","clock":{"S":30}}');
    fromD.write('[["y","vy"],30,"S"]\n"SYNC"\n');
    await settle();
    fromA.write('"SYNC"\n');
    await until(() => c.get('x') === 'vx' && c.get('y') === 'vy', 2000, 'C gets x and y');
    assert.deepEqual(c.toJSON(), b.toJSON());
  });

  it('a reset cut off before its "SYNC" still lets the others have what it brought', async () => {
    const b = collecting('B');
    const c = collecting('C');
    await connect(b, c);
    const fromA = fakePeer(b, '{"id":"A","clock":{"S":20},"reset":1}');
    fromA.write('{"reset":{"clock":{"S":20},"collected":{}}}\n[["x","vx"],20,"S"]\n');
    await settle();
    fromA.destroy();
    await turns(5);
    const fromD = fakePeer(b, '{"id":"D","clock":{"S":30}}');
    fromD.write('[["y","vy"],30,"S"]\n"SYNC"\n');
    await until(() => c.get('x') === 'vx' && c.get('y') === 'vy', 2000, 'C gets x and y');
  });

  it('what a reset dropped stays dropped after a restart (the store rewrites its log)', async (t) => {
    let now = NOW;
    const clock = () => now;
    const file = join(tempDir(t), 'b.sb');
    const a = new Model({ id: 'A', now: clock, tombstoneTtlMs: 1000 });
    const b = new Model({ id: 'B', now: clock, tombstoneTtlMs: 1000 });
    const store = persist(b, file);
    await store.ready;
    a.set('k', 'v');
    const first = await connect(a, b);
    first.as.end();
    await until(() => a.streamCount === 0);
    now += 10;
    a.set('k', null);
    now += 5000;
    a.collectTombstones();
    await connect(a, b);
    await until(() => b.get('k') === undefined, 2000, 'B drops k');
    await turns();
    await store.close();
    const again = new Model({ id: 'B', now: clock, tombstoneTtlMs: 1000 });
    const reopened = persist(again, file);
    await reopened.ready;
    t.after(() => reopened.close());
    assert.equal(again.get('k'), undefined);
    assert.equal(a.needsResetFor(again.sources), false, 'its clock covers the collected deletion');
  });

  it('a model that does not collect ignores a reset: it drops nothing and its clock does not move', async () => {
    for (const m of [new Model({ id: 'M', now: () => NOW }), new Doc({ id: 'M', now: () => NOW })]) {
      if (m instanceof Model) m.set('k', 'v');
      else m.add({ id: 'r', name: 'n' });
      const before = JSON.stringify(m.toJSON());
      const s = m.createStream();
      s.resume();
      s.write(`{"id":"X","clock":{},"reset":1}\n{"reset":{"clock":{"M":${NOW + 5},"W":${NOW}},"collected":{"W":${NOW}}}}\n"SYNC"\n`);
      await turns(5);
      assert.equal(JSON.stringify(m.toJSON()), before);
      assert.equal(m.sources.W, undefined);
    }
  });

  it('RArray keeps the tombstone of a key a signed multi-key update still carries', async () => {
    let now = NOW;
    const security = { sign: () => 'sig', verify: (_u: unknown, cb: (e: unknown, ok?: boolean) => void) => cb(null, true) };
    const a = new RArray<string>({ id: 'A', now: () => now, tombstoneTtlMs: 1000, ...security });
    a.splice(0, 0, 'x', 'y'); // one signed update, two keys: re-sent whole
    a.unset(a.keyAt(0) as string);
    now += 5000;
    assert.equal(a.collectTombstones(), 0);
    const fresh = new RArray<string>({ id: 'F', now: () => now, tombstoneTtlMs: 1000, ...security });
    await connect(a, fresh);
    await settle();
    assert.deepEqual(fresh.toJSON(), ['y']);
  });
});
