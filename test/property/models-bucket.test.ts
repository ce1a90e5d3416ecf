/**
 * Properties of Bucket (issue 8): random writes to its Model and Doc parts, peers, partitions and
 * reconnections converge, with no update sent twice on a link (the network checks it); deletions
 * of rows made during a partition win after it heals.
 * More runs: SB_EXTENSIVE=1. Replay: SB_SEED / SB_PATH.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Bucket } from '../../src/entries/bucket.ts';
import { Doc } from '../../src/entries/doc.ts';
import { Events, Model } from '../../src/index.ts';
import { convergenceProperty, type ModelSpec, partitionDeletionProperty } from '../helpers/model-props.ts';

type BucketOp =
  | { k: 'meta'; key: number; v: number | null }
  | { k: 'row'; row: number; v: number }
  | { k: 'rm'; row: number }
  | { k: 'chat'; v: number }
  | { k: 'new'; v: number };

const grow: fc.Arbitrary<BucketOp> = fc.record({ k: fc.constant('new' as const), v: fc.nat(99) });
const op: fc.Arbitrary<BucketOp> = fc.oneof(
  fc.record({ k: fc.constant('meta' as const), key: fc.nat(3), v: fc.option(fc.nat(99), { nil: null }) }),
  fc.record({ k: fc.constant('row' as const), row: fc.nat(3), v: fc.nat(99) }),
  fc.record({ k: fc.constant('rm' as const), row: fc.nat(3) }),
  fc.record({ k: fc.constant('chat' as const), v: fc.nat(99) }),
  grow,
);

const create = (id: string) => new Bucket(id).add('meta', new Model()).add('rows', new Doc()).add('chat', new Events());
type B = ReturnType<typeof create>;
const rows = (b: B) => b.get('rows') as Doc;

const spec: ModelSpec<B, BucketOp> = {
  create,
  op,
  growOp: grow,
  apply(b, o, serial) {
    switch (o.k) {
      case 'meta':
        (b.get('meta') as Model).set(`k${o.key}`, o.v);
        break;
      case 'row':
        rows(b).set(`r${o.row}`, { v: o.v });
        break;
      case 'rm':
        rows(b).rm(`r${o.row}`);
        break;
      case 'chat':
        (b.get('chat') as Events).emit('msg', o.v, serial);
        break;
      case 'new':
        rows(b).add({ id: `${b.id}-n${serial}`, v: o.v });
        break;
    }
  },
  snapshot: (b) => ({ ...b.toJSON(), chat: (b.get('chat') as Events).history().map((u) => u[0]) }),
  deleteSome(b, count, pick) {
    const ids = rows(b).ids();
    const out: string[] = [];
    for (let i = 0; i < count && ids.length > 0; i++) {
      const [id] = ids.splice(pick(ids.length), 1) as [string];
      rows(b).rm(id);
      out.push(id);
    }
    return out;
  },
  present: (b, id) => rows(b).has(id),
};

describe('Bucket (property)', () => {
  it('random operations on its parts, partitions and reconnections converge', () => convergenceProperty(spec, 20));
  it('row deletions made during a partition win after it heals', () => partitionDeletionProperty(spec, 15));
});
