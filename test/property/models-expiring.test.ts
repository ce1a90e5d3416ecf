/**
 * Properties of ExpiringModel (issue 8): random scalar, object (merged per field) and null writes,
 * peers, partitions and reconnections converge, with and without a size bound; deletions made
 * during a partition win after it heals.
 * More runs: SB_EXTENSIVE=1. Replay: SB_SEED / SB_PATH.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ExpiringModel } from '../../src/entries/expiring.ts';
import { convergenceProperty, type ModelSpec, partitionDeletionProperty } from '../helpers/model-props.ts';

type ExpOp = { k: 'set'; key: number; v: unknown } | { k: 'new'; v: number };

const value = fc.oneof(
  fc.nat(99),
  fc.constant(null),
  fc.record({ a: fc.nat(9) }, { requiredKeys: [] }),
  fc.record({ a: fc.nat(9), b: fc.nat(9) }, { requiredKeys: [] }),
  fc.constant([1, 2]),
);
const grow: fc.Arbitrary<ExpOp> = fc.record({ k: fc.constant('new' as const), v: fc.nat(99) });
const op: fc.Arbitrary<ExpOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('set' as const), key: fc.nat(5), v: value }) },
  { weight: 1, arbitrary: grow },
);

const spec = (maxSize: number): ModelSpec<ExpiringModel, ExpOp> => ({
  create: (id) => new ExpiringModel({ id, maxSize }),
  op,
  growOp: grow,
  apply(m, o, serial) {
    if (o.k === 'set') m.set(`k${o.key}`, o.v);
    else m.set(`${m.id}-n${serial}`, o.v);
  },
  snapshot: (m) => m.toJSON(),
  deleteSome(m, count, pick) {
    const keys = m.keys();
    const out: string[] = [];
    for (let i = 0; i < count && keys.length > 0; i++) {
      const [key] = keys.splice(pick(keys.length), 1) as [string];
      m.delete(key);
      out.push(key);
    }
    return out;
  },
  present: (m, key) => m.has(key),
});

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/**
 * With a size bound, replicas are caches: eviction is local, so they may hold different keys
 * (and a key evicted on one replica, then partly rewritten, holds only the newer fields there).
 * What holds: never more than the bound, and the same scalar value for a key both hold.
 */
const bounded = (maxSize: number): ModelSpec<ExpiringModel, ExpOp> => ({
  ...spec(maxSize),
  agree(a, b) {
    const x = a.toJSON();
    const y = b.toJSON();
    assert.ok(Object.keys(x).length <= maxSize && Object.keys(y).length <= maxSize);
    for (const key of Object.keys(x)) {
      const [vx, vy] = [x[key], y[key]];
      const scalar = typeof vx !== 'object' || typeof vy !== 'object';
      if (Object.hasOwn(y, key) && scalar) assert.deepEqual(plain(vy), plain(vx), `replicas disagree on ${key}`);
    }
  },
});

describe('ExpiringModel (property)', () => {
  it('random writes, partitions and reconnections converge', () => convergenceProperty(spec(Number.POSITIVE_INFINITY), 25));
  it('with a size bound, replicas hold at most maxSize keys and agree on the scalar keys they share', () =>
    convergenceProperty(bounded(4), 20));
  it('deletions made during a partition win after it heals', () => partitionDeletionProperty(spec(Number.POSITIVE_INFINITY), 15));
});
