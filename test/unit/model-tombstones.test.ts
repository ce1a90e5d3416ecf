import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { capture, connect, settle, until } from '../helpers/streams.ts';

describe('Model tombstone collection and the reset extension', () => {
  it('collectTombstones() drops deletions older than tombstoneTtlMs, and only those', () => {
    let now = 1_000_000;
    const m = new Model({ id: 'A', now: () => now, tombstoneTtlMs: 1000 });
    m.set('old', 1);
    m.set('old', null);
    now += 600;
    m.set('young', 1);
    m.set('young', null);
    m.set('revived', null);
    m.set('revived', 2);
    now += 600;
    assert.equal(m.collectTombstones(), 1);
    assert.deepEqual(m.keys().sort(), ['revived', 'young']);
    assert.equal(m.history().length, 2);
    assert.equal(m.get('old'), undefined);
  });

  it('keeps deletions forever by default and announces nothing new on the wire', async () => {
    const m = new Model('A');
    m.set('k', 1);
    m.set('k', null);
    assert.equal(m.collectTombstones(Number.MAX_SAFE_INTEGER), 0);
    const out = capture(m.createReadStream({ tail: false }));
    await settle();
    assert.deepEqual(Object.keys(JSON.parse(out.lines()[0] as string)), ['id', 'clock']);
  });

  it('a peer that comes back after a deletion was collected drops the key instead of keeping it', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const a = new Model({ id: 'A', now: clock, tombstoneTtlMs: 1000 });
    const b = new Model({ id: 'B', now: clock, tombstoneTtlMs: 1000 });
    a.set('k', 'v');
    a.set('stays', 1);
    b.set('mine', 'b');
    const first = await connect(a, b);
    first.as.end();
    await until(() => a.streamCount === 0 && b.streamCount === 0);
    assert.equal(b.get('k'), 'v');

    now += 10;
    a.set('k', null); // while B is away
    b.set('offline', 'b'); // B writes too
    now += 5000;
    assert.equal(a.collectTombstones(), 1);
    assert.equal(a.needsResetFor(b.sources), true);

    const changes: unknown[] = [];
    b.on('change:k', (v) => changes.push(v));
    const second = await connect(a, b);
    await settle();
    assert.equal(second.as.session.stats.resets, 1, 'A sent a reset snapshot');
    assert.equal(b.get('k'), undefined, 'the deleted key is gone on B');
    assert.deepEqual(changes, [null]);
    assert.equal(a.get('k'), undefined, 'and was not brought back to A');
    assert.deepEqual(a.toJSON(), b.toJSON());
    assert.deepEqual(a.toJSON(), { stays: 1, mine: 'b', offline: 'b' });
  });

  it('a peer without the extension gets ordinary history and cannot bring the key back', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const a = new Model({ id: 'A', now: clock, tombstoneTtlMs: 1000 });
    const legacy = new Model({ id: 'L', now: clock }); // keeps tombstones: announces no reset
    a.set('k', 'v');
    const first = await connect(a, legacy);
    first.as.end();
    await until(() => a.streamCount === 0);
    now += 10;
    a.set('k', null);
    now += 5000;
    a.collectTombstones();
    const second = await connect(a, legacy);
    await settle();
    assert.equal(second.as.session.stats.resets, 0);
    assert.equal(a.get('k'), undefined, 'the old write is old data for A');
  });
});
