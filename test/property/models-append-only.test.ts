/**
 * Properties of AppendOnly (issue 8): random pushes and removes, peers, partitions and
 * reconnections converge (same items, same order); removes made during a partition reach every
 * replica after it heals; after tombstone collection history holds only live items.
 * More runs: SB_EXTENSIVE=1. Replay: SB_SEED / SB_PATH.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AppendOnly } from '../../src/entries/append-only.ts';
import { convergenceProperty, type ModelSpec, partitionDeletionProperty, resetProperty } from '../helpers/model-props.ts';

type Op = { k: 'push'; v: number } | { k: 'remove'; i: number };
const grow: fc.Arbitrary<Op> = fc.record({ k: fc.constant('push' as const), v: fc.nat(99) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: grow },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('remove' as const), i: fc.nat(20) }) },
);

const spec: ModelSpec<AppendOnly<{ v: number }>, Op> = {
  create: (id) => new AppendOnly<{ v: number }>({ id, tombstoneTtlMs: 60_000 }),
  op,
  growOp: grow,
  apply(log, o) {
    if (o.k === 'push') log.push({ v: o.v });
    else if (log.size > 0) log.remove((log.entries()[o.i % log.size] as { id: string }).id);
  },
  snapshot: (log) => log.entries(),
  deleteSome(log, count, pick) {
    const out: string[] = [];
    for (let i = 0; i < count && log.size > 0; i++) {
      const { id } = log.entries()[pick(log.size)] as { id: string };
      log.remove(id);
      out.push(id);
    }
    return out;
  },
  present: (log, id) => log.has(id),
  collect(log) {
    log.collectTombstones(Number.POSITIVE_INFINITY);
    return log.history().length;
  },
  liveSize: (log) => log.size,
  createCollecting: (id, now, tombstoneTtlMs) => new AppendOnly<{ v: number }>({ id, now, tombstoneTtlMs }),
};

describe('AppendOnly (property)', () => {
  it('random pushes, removes, partitions and reconnections converge; GC keeps them converged', () => convergenceProperty(spec, 25));
  it('removes made during a partition reach every replica after it heals', () => partitionDeletionProperty(spec, 20));
  it('a replica away longer than the grace period gets a reset and drops what was deleted', () => resetProperty(spec, 20));
});
