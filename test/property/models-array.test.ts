/**
 * Properties of RArray and Text (issue 8): random operations, peers, partitions and
 * reconnections converge; deletions made during a partition win after it heals; after tombstone
 * collection history holds no more than the live elements and nothing deleted comes back.
 * More runs: SB_EXTENSIVE=1. Replay: SB_SEED / SB_PATH.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RArray, Text } from '../../src/entries/array.ts';
import { convergenceProperty, type ModelSpec, partitionDeletionProperty, resetProperty } from '../helpers/model-props.ts';

type ArrayOp =
  | { k: 'push' | 'unshift'; v: number }
  | { k: 'pop' | 'shift' }
  | { k: 'splice'; i: number; d: number; items: number[] }
  | { k: 'set'; i: number; v: number };

const value = fc.integer({ min: 0, max: 999 });
const arrayGrow: fc.Arbitrary<ArrayOp> = fc.oneof(
  fc.record({ k: fc.constantFrom('push' as const, 'unshift' as const), v: value }),
  fc.record({
    k: fc.constant('splice' as const),
    i: fc.nat(20),
    d: fc.constant(0),
    items: fc.array(value, { minLength: 1, maxLength: 3 }),
  }),
);
const arrayOp: fc.Arbitrary<ArrayOp> = fc.oneof(
  { weight: 3, arbitrary: arrayGrow },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('pop' as const, 'shift' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('splice' as const), i: fc.nat(20), d: fc.nat(3), items: fc.array(value, { maxLength: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('set' as const), i: fc.nat(20), v: value }) },
);

const arraySpec: ModelSpec<RArray<number>, ArrayOp> = {
  create: (id) => new RArray<number>({ id, tombstoneTtlMs: 60_000 }),
  op: arrayOp,
  growOp: arrayGrow,
  apply(a, op) {
    switch (op.k) {
      case 'push':
        a.push(op.v);
        break;
      case 'unshift':
        a.unshift(op.v);
        break;
      case 'pop':
        a.pop();
        break;
      case 'shift':
        a.shift();
        break;
      case 'splice':
        a.splice(a.length === 0 ? 0 : op.i % (a.length + 1), op.d, ...op.items);
        break;
      case 'set': {
        const key = a.length === 0 ? undefined : a.keyAt(op.i % a.length);
        if (key !== undefined) a.set(key, op.v);
        break;
      }
    }
  },
  snapshot: (a) => ({ values: a.toJSON(), keys: a.keys() }),
  deleteSome(a, count, pick) {
    const out: string[] = [];
    for (let i = 0; i < count && a.length > 0; i++) {
      const key = a.keyAt(pick(a.length)) as string;
      a.unset(key);
      out.push(key);
    }
    return out;
  },
  present: (a, key) => a.get(key) !== undefined,
  collect(a) {
    a.collectTombstones(Number.POSITIVE_INFINITY);
    return a.history().length;
  },
  liveSize: (a) => a.length,
  createCollecting: (id, now, tombstoneTtlMs) => new RArray<number>({ id, now, tombstoneTtlMs }),
};

type TextOp = { k: 'insert'; at: number; s: string } | { k: 'delete'; at: number; n: number };
const textGrow: fc.Arbitrary<TextOp> = fc.record({
  k: fc.constant('insert' as const),
  at: fc.nat(50),
  s: fc.string({ minLength: 1, maxLength: 5 }),
});
const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  textGrow,
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(50), n: fc.integer({ min: 1, max: 4 }) }),
);

const textSpec: ModelSpec<Text, TextOp> = {
  create: (id) => new Text({ id, tombstoneTtlMs: 60_000 }),
  op: textOp,
  growOp: textGrow,
  apply(t, op) {
    const at = op.at % (t.length + 1);
    if (op.k === 'insert') t.insertText(at, op.s);
    else t.deleteText(at, Math.min(op.n, t.length - at));
  },
  snapshot: (t) => t.text(),
  deleteSome(t, count, pick) {
    if (t.length === 0) return [];
    const at = pick(t.length);
    const n = Math.min(count, t.length - at);
    const keys = Array.from({ length: n }, (_, i) => t.keyAt(at + i) as string);
    t.deleteText(at, n);
    return keys;
  },
  present: (t, key) => t.get(key) !== undefined,
  collect(t) {
    t.collectTombstones(Number.POSITIVE_INFINITY);
    return t.history().length;
  },
  liveSize: (t) => t.length,
  createCollecting: (id, now, tombstoneTtlMs) => new Text({ id, now, tombstoneTtlMs }),
};

describe('RArray (property)', () => {
  it('random operations, partitions and reconnections converge; GC keeps them converged', () => convergenceProperty(arraySpec, 25));
  it('deletions made during a partition win after it heals', () => partitionDeletionProperty(arraySpec, 20));
  it('a replica away longer than the grace period gets a reset and drops what was deleted', () => resetProperty(arraySpec, 20));
});

describe('Text (property)', () => {
  it('random edits, partitions and reconnections converge', () => convergenceProperty(textSpec, 20));
  it('deletions made during a partition win after it heals', () => partitionDeletionProperty(textSpec, 15));
  it('a replica away longer than the grace period gets a reset and drops what was deleted', () => resetProperty(textSpec, 15));
});
