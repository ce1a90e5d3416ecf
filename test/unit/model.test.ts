import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultModel from '../../src/entries/model.ts';
import { Model, type Update } from '../../src/index.ts';
import { connect } from '../helpers/streams.ts';

describe('Model', () => {
  it('is the default export of scuttlebutt-ts/model', () => {
    assert.equal(DefaultModel, Model);
  });

  describe('get()/set()', () => {
    it('starts empty; change and change:key carry the value', () => {
      const m = new Model();
      assert.deepEqual(m.toJSON(), {});
      const seen: unknown[] = [];
      m.on('change', (key, value) => seen.push(['change', key, value]));
      m.on('change:a', (value) => seen.push(['change:a', value]));
      m.set('a', 1);
      assert.equal(m.get('a'), 1);
      assert.deepEqual(seen, [
        ['change', 'a', 1],
        ['change:a', 1],
      ]);
    });

    it('emits update(change, ts, source)', () => {
      const m = new Model('M');
      let args: unknown[] = [];
      m.on('update', (...a) => {
        args = a;
      });
      m.set('k', 'v');
      assert.deepEqual(args[0], ['k', 'v']);
      assert.equal(typeof args[1], 'number');
      assert.equal(args[2], 'M');
    });

    it('set(key, null) deletes: get gives null, toJSON leaves it out, keys keeps it', () => {
      const m = new Model();
      m.set('a', 1);
      m.set('b', 2);
      m.set('a', null);
      assert.equal(m.get('a'), null);
      assert.deepEqual(m.toJSON(), { b: 2 });
      assert.deepEqual(m.keys(), ['a', 'b']);
      assert.equal(m.has('a'), false);
      assert.equal(m.size, 1);
    });

    it('keeps 0 and false in toJSON', () => {
      const m = new Model();
      m.set('zero', 0);
      m.set('no', false);
      assert.deepEqual(m.toJSON(), { zero: 0, no: false });
    });

    it('set(key, undefined) is a deletion everywhere (the original sent null but kept undefined)', () => {
      const m = new Model();
      m.set('a', undefined);
      assert.equal(m.get('a'), null);
      assert.deepEqual(m.history()[0]?.[0], ['a', null]);
    });

    it('refuses "__proto__" and non-string keys locally', () => {
      const m = new Model();
      assert.throws(() => m.set('__proto__', 1), RangeError);
      assert.throws(() => m.set(5 as unknown as string, 1), TypeError);
    });

    it('treats "constructor" and "hasOwnProperty" as ordinary keys', () => {
      const m = new Model();
      m.set('constructor', 1);
      m.set('hasOwnProperty', 2);
      assert.equal(m.get('constructor'), 1);
      assert.equal(m.get('toString'), undefined);
      const json = m.toJSON();
      assert.equal(json.constructor, 1);
      assert.equal(Object.getPrototypeOf(json), Object.prototype);
    });
  });

  describe('keys()/each()', () => {
    it('keeps insertion order and visits every value', () => {
      const m = new Model();
      for (const [i, k] of ['a', 'o', 'e', 'u', 'i'].entries()) m.set(k, i + 1);
      assert.deepEqual(m.keys(), ['a', 'o', 'e', 'u', 'i']);
      let sum = 0;
      m.each((v) => {
        sum += v as number;
      });
      m.forEach((v) => {
        sum += v as number;
      });
      assert.equal(sum, 30);
    });
  });

  describe('history()', () => {
    it('has the latest update per key, filtered by the clock and sorted by (ts, source)', () => {
      let now = 1000;
      const m = new Model({ id: 'A', now: () => now });
      m.set('x', 1);
      now = 1001;
      m.set('y', 1);
      now = 1002;
      m.set('x', 2);
      assert.deepEqual(m.history(), [
        [['y', 1], 1001, 'A'],
        [['x', 2], 1002, 'A'],
      ]);
      assert.deepEqual(m.history({ A: 1001 }), [[['x', 2], 1002, 'A']]);
      assert.deepEqual(m.history({ A: 1000 }).length, 2);
      assert.deepEqual(m.history({ A: 1002 }), []);
    });

    it('orders equal timestamps by source', () => {
      const m = new Model('M');
      m._update([['b', 1], 5, 'Z']);
      m._update([['a', 1], 5, 'B']);
      assert.deepEqual(
        m.history().map((u) => u[2]),
        ['B', 'Z'],
      );
    });
  });

  describe('applyUpdate (last write wins)', () => {
    it('an older update from the same source is old_data and returns false', () => {
      const m = new Model('M');
      const old: unknown[] = [];
      m.on('old_data', (u) => old.push(u));
      assert.equal(m._update([['k', 1], 10, 'X']), true);
      assert.equal(m._update([['k', 0], 9, 'X']), false);
      assert.equal(m.get('k'), 1);
      assert.equal(old.length, 1);
    });

    it('the higher timestamp wins whatever the arrival order', () => {
      const a = new Model('A');
      const b = new Model('B');
      const u1: Update = [['k', 'first'], 10, 'X'];
      const u2: Update = [['k', 'second'], 20, 'Y'];
      a._update(u1);
      a._update(u2);
      b._update(u2);
      b._update(u1);
      assert.equal(a.get('k'), 'second');
      assert.equal(b.get('k'), 'second');
    });

    it('breaks timestamp ties by source, so replicas agree (the original diverged)', () => {
      const a = new Model('A');
      const b = new Model('B');
      const fromA: Update = [['k', 'fromA'], 10, 'A'];
      const fromB: Update = [['k', 'fromB'], 10, 'B'];
      a._update(fromA);
      a._update(fromB);
      b._update(fromB);
      b._update(fromA);
      assert.equal(a.get('k'), b.get('k'));
      assert.equal(a.get('k'), 'fromB');
    });

    it('keeps a signature and extra elements and forwards them unchanged', () => {
      const m = new Model('M');
      m._update([['a', [1, 2, 3]], 5, 'X', 'sig', 'extra']);
      assert.deepEqual(m.history(), [[['a', [1, 2, 3]], 5, 'X', 'sig', 'extra']]);
    });
  });

  describe('replication', () => {
    it('syncs history both ways, then live updates', async () => {
      const a = new Model('A');
      const b = new Model('B');
      a.set('a', 1);
      b.set('b', 2);
      await connect(a, b);
      assert.deepEqual(a.toJSON(), { a: 1, b: 2 });
      assert.deepEqual(b.toJSON(), { a: 1, b: 2 });
      const changed = new Promise((resolve) => b.once('change:live', resolve));
      a.set('live', 3);
      assert.equal(await changed, 3);
      assert.deepEqual(a.history(), b.history());
    });

    it('replicates deletions', async () => {
      const a = new Model('A');
      const b = new Model('B');
      a.set('gone', 1);
      await connect(a, b);
      const changed = new Promise((resolve) => b.once('change:gone', resolve));
      a.set('gone', null);
      assert.equal(await changed, null);
      assert.deepEqual(b.toJSON(), {});
    });
  });
});

describe('Model events bookkeeping', () => {
  it('fires update, change and change:KEY only while someone listens, also after removeAllListeners', () => {
    const m = new Model('M');
    const seen: string[] = [];
    const onKey = () => seen.push('k');
    m.on('change:k', onKey);
    m.set('k', 1);
    m.set('other', 1);
    m.off('change:k', onKey);
    m.set('k', 2);
    m.once('change', () => seen.push('change'));
    m.set('k', 3);
    m.set('k', 4);
    m.removeAllListeners();
    m.on('update', () => seen.push('update'));
    m.on('change:k', () => seen.push('k'));
    m.set('k', 5);
    assert.deepEqual(seen, ['k', 'change', 'update', 'k']);
  });
});
