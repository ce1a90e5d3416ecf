/**
 * Properties of Model with tombstone collection (issue 8 item 6): random sets and deletions,
 * peers, partitions and reconnections converge; deletions made during a partition win after it
 * heals; a replica away longer than the grace period gets a reset and drops what was deleted,
 * also when the reset has to travel on across links that stayed live.
 * More runs: SB_EXTENSIVE=1. Replay: SB_SEED / SB_PATH.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Model } from '../../src/index.ts';
import { convergenceProperty, type ModelSpec, partitionDeletionProperty, resetProperty } from '../helpers/model-props.ts';

/** `fresh`: a key nobody wrote yet; otherwise one of a few shared keys (so writes conflict). */
type Op = { k: 'set'; key: number; v: number; fresh: boolean } | { k: 'del'; key: number };
const grow: fc.Arbitrary<Op> = fc.record({ k: fc.constant('set' as const), key: fc.nat(4), v: fc.nat(99), fresh: fc.constant(true) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), key: fc.nat(4), v: fc.nat(99), fresh: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('del' as const), key: fc.nat(4) }) },
);

const spec: ModelSpec<Model<number>, Op> = {
  create: (id) => new Model<number>({ id, tombstoneTtlMs: 60_000 }),
  op,
  growOp: grow,
  apply(m, o, serial) {
    if (o.k === 'set') m.set(o.fresh ? `${m.id}-${serial}` : `k${o.key}`, o.v);
    else m.set(`k${o.key}`, null);
  },
  snapshot: (m) => m.toJSON(),
  deleteSome(m, count, pick) {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const live = Object.keys(m.toJSON());
      if (live.length === 0) break;
      const key = live[pick(live.length)] as string;
      m.set(key, null);
      out.push(key);
    }
    return out;
  },
  present: (m, key) => m.has(key),
  collect(m) {
    m.collectTombstones(Number.POSITIVE_INFINITY);
    return m.history().length;
  },
  liveSize: (m) => m.size,
  createCollecting: (id, now, tombstoneTtlMs) => new Model<number>({ id, now, tombstoneTtlMs }),
};

describe('Model with tombstone collection (property)', () => {
  it('random sets and deletions, partitions and reconnections converge; GC keeps them converged', () => convergenceProperty(spec, 25));
  it('deletions made during a partition win after it heals', () => partitionDeletionProperty(spec, 20));
  it('a replica away longer than the grace period gets a reset and drops what was deleted', () => resetProperty(spec, 25));
});
