import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SortedList } from '../../src/models/_sorted-list.ts';

describe('SortedList (the blocks behind RArray, Text and AppendOnly)', () => {
  it('behaves like a sorted array under random inserts and removes (blocks split and empty)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 3000 }), (ops) => {
        const list = new SortedList<number>((a, b) => a - b);
        const model: number[] = [];
        for (const [add, v] of ops) {
          if (add || model.length === 0) {
            list.insert(v);
            model.push(v);
            model.sort((a, b) => a - b);
          } else {
            const x = model[v % model.length] as number;
            assert.equal(list.remove(x), true);
            model.splice(model.indexOf(x), 1);
          }
        }
        assert.equal(list.size, model.length);
        assert.deepEqual(list.toArray(), model);
        for (let i = 0; i < model.length; i += 97) {
          assert.equal(list.at(i), model[i]);
          assert.equal(list.indexOf(model[i] as number), model.indexOf(model[i] as number));
        }
        assert.equal(list.first(), model[0]);
        assert.equal(list.last(), model[model.length - 1]);
        assert.equal(list.remove(-1), false);
      }),
      { numRuns: 30 },
    );
  });
});
