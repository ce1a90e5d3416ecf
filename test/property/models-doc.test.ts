/**
 * Properties of Doc (issue 8): random row edits, deletions, Seq pushes, peers, partitions and
 * reconnections converge (rows and Seq order); deletions made during a partition win after it
 * heals; after tombstone collection nothing deleted comes back.
 * More runs: SB_EXTENSIVE=1. Replay: SB_SEED / SB_PATH.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Doc } from '../../src/entries/doc.ts';
import { convergenceProperty, type ModelSpec, partitionDeletionProperty, resetProperty } from '../helpers/model-props.ts';

type DocOp =
  | { k: 'set'; row: number; field: 'a' | 'b' | 'c'; v: number | null }
  | { k: 'add'; row: number; a: number }
  | { k: 'rm'; row: number }
  | { k: 'seq'; row: number }
  | { k: 'new'; a: number };

const row = fc.nat(5);
const grow: fc.Arbitrary<DocOp> = fc.record({ k: fc.constant('new' as const), a: fc.nat(99) });
const op: fc.Arbitrary<DocOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('set' as const),
      row,
      field: fc.constantFrom('a' as const, 'b' as const, 'c' as const),
      v: fc.option(fc.nat(99), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('add' as const), row, a: fc.nat(99) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rm' as const), row }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('seq' as const), row }) },
  { weight: 1, arbitrary: grow },
);

const docSpec: ModelSpec<Doc, DocOp> = {
  create: (id) => new Doc({ id, tombstoneTtlMs: 60_000 }),
  op,
  growOp: grow,
  apply(doc, o, serial) {
    switch (o.k) {
      case 'set':
        doc.set(`r${o.row}`, { [o.field]: o.v });
        break;
      case 'add':
        doc.add({ id: `r${o.row}`, a: o.a });
        break;
      case 'rm':
        doc.rm(`r${o.row}`);
        break;
      case 'seq':
        doc.createSeq('list', 'L').push(`r${o.row}`);
        break;
      case 'new':
        doc.add({ id: `${doc.id}-n${serial}`, a: o.a });
        break;
    }
  },
  snapshot: (doc) => ({
    rows: doc.toJSON(),
    seq: doc
      .createSeq('list', 'L')
      .toJSON()
      .map((r) => r.id),
  }),
  deleteSome(doc, count, pick) {
    const ids = doc.ids();
    const out: string[] = [];
    for (let i = 0; i < count && ids.length > 0; i++) {
      const [id] = ids.splice(pick(ids.length), 1) as [string];
      doc.rm(id);
      out.push(id);
    }
    return out;
  },
  present: (doc, id) => doc.has(id),
  collect(doc) {
    doc.collectTombstones(Number.POSITIVE_INFINITY);
    return doc.tombstoneCount;
  },
  liveSize: () => 0,
  createCollecting: (id, now, tombstoneTtlMs) => new Doc({ id, now, tombstoneTtlMs }),
};

describe('Doc (property)', () => {
  it('random operations, partitions and reconnections converge; GC keeps them converged', () => convergenceProperty(docSpec, 25));
  it('deletions made during a partition win after it heals', () => partitionDeletionProperty(docSpec, 20));
  it('a replica away longer than the grace period gets a reset and drops what was deleted', () => resetProperty(docSpec, 20));
});
