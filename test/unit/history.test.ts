import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryIndex } from '../../src/index.ts';

interface E {
  ts: number;
  source: string;
}
const e = (ts: number, source: string): E => ({ ts, source });

describe('HistoryIndex', () => {
  describe('since()', () => {
    it('returns entries newer than the clock, ordered by ts then source', () => {
      const index = new HistoryIndex<E>();
      const entries = [e(1, 'B'), e(2, 'B'), e(1, 'A'), e(3, 'A'), e(2, 'C')];
      for (const entry of entries) index.add(entry);
      assert.deepEqual(index.since(), [e(1, 'A'), e(1, 'B'), e(2, 'B'), e(2, 'C'), e(3, 'A')]);
      assert.deepEqual(index.since({ A: 1, B: 2 }), [e(2, 'C'), e(3, 'A')]);
    });

    it('treats a clock entry equal to ts as seen, one less as not seen, and 0 as missing', () => {
      const index = new HistoryIndex<E>();
      index.add(e(5, 'A'));
      assert.deepEqual(index.since({ A: 5 }), []);
      assert.deepEqual(index.since({ A: 4 }), [e(5, 'A')]);
      assert.deepEqual(index.since({ A: 0 }), [e(5, 'A')]);
    });

    it('leaves removed entries out', () => {
      const index = new HistoryIndex<E>();
      const entries = Array.from({ length: 200 }, (_, i) => e(i + 1, 'A'));
      for (const entry of entries) index.add(entry);
      for (const entry of entries.slice(0, 150)) assert.equal(index.remove(entry), true);
      assert.equal(index.size, 50);
      assert.deepEqual(
        index.since({ A: 180 }).map((x) => x.ts),
        Array.from({ length: 20 }, (_, i) => 181 + i),
      );
      assert.equal(index.since().length, 50);
    });

    it('inserts an out-of-order entry at its place', () => {
      const index = new HistoryIndex<E>();
      index.add(e(1, 'A'));
      index.add(e(3, 'A'));
      index.add(e(2, 'A'));
      assert.deepEqual(
        index.since().map((x) => x.ts),
        [1, 2, 3],
      );
    });
  });

  describe('remove()', () => {
    it('returns false for an entry it does not hold', () => {
      const index = new HistoryIndex<E>();
      index.add(e(1, 'A'));
      assert.equal(index.remove(e(1, 'A')), false);
      assert.equal(index.remove(e(1, 'B')), false);
    });

    it('keeps working after removing every entry of a source', () => {
      const index = new HistoryIndex<E>();
      const a = e(1, 'A');
      index.add(a);
      index.remove(a);
      index.add(e(2, 'A'));
      assert.deepEqual(index.since(), [e(2, 'A')]);
    });
  });
});
