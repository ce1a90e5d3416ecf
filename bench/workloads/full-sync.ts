/**
 * @module full-sync
 * Full sync in process: A holds N keys, B is empty; `const s = a.createStream();
 * s.pipe(b.createStream()).pipe(s)`, timed until both streams emitted `sync`. A is filled once per
 * variant and reused (a sync does not change it); B is new for every trial.
 */
import { expectCount, expectValue, keyOf } from '../lib/data.ts';
import { floorVariant } from '../lib/floor.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { connect, disconnect, fill, type Impl, type Link, ORIGINAL, OURS } from '../lib/replicas.ts';
import { expectDoc, fillDoc, syncDocs, Y } from '../lib/yjs.ts';

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    open(n: number): Subject {
      const a = impl.createModel();
      fill(a, n);
      return {
        prepare() {
          const b = impl.createModel();
          let link: Link | undefined;
          return {
            async run() {
              link = connect(a, b);
              await link.synced;
              return undefined;
            },
            check() {
              expectCount(b.keys().length, n, `${impl.name} B`);
              expectValue(b.get(keyOf(n - 1)), n - 1, `${impl.name} B`);
            },
            done: () => (link ? disconnect(link.a, link.b) : undefined),
          };
        },
        close: () => a.dispose(),
      };
    },
  };
}

const yjs: Variant = {
  name: 'yjs',
  open(n: number): Subject {
    const a = new Y.Doc();
    fillDoc(a, n, 0, true);
    return {
      prepare() {
        const b = new Y.Doc();
        return {
          run() {
            syncDocs(a, b);
            return undefined;
          },
          check: () => expectDoc(b, n, n - 1, 'yjs B'),
          done: () => b.destroy(),
        };
      },
      close: () => a.destroy(),
    };
  },
};

export const fullSync: Workload = {
  id: 'full-sync',
  title: 'full sync, in process',
  unit: 'ms',
  sizeLabel: 'N',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  target: { ratio: 0.5, at: 100_000, text: '≤ 0.5×' },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL), yjs, floorVariant((n) => n)],
};
