/**
 * @module live
 * Live updates: A and B connected and synced (empty); M `set`s on A in a loop without awaiting;
 * timed until B has the last key. Yjs: each `set` is its own transaction, forwarded by
 * `doc.on('update')` to the other doc.
 */
import { benchValue, expectCount, expectValue, keyOf } from '../lib/data.ts';
import { floorVariant } from '../lib/floor.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { connect, disconnect, type Impl, ORIGINAL, OURS, whenHas } from '../lib/replicas.ts';
import { expectDoc, linkDocs, mapOf, Y } from '../lib/yjs.ts';

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    open(m: number): Subject {
      return {
        async prepare() {
          const a = impl.createModel();
          const b = impl.createModel();
          const link = connect(a, b);
          await link.synced;
          return {
            async run() {
              for (let i = 0; i < m; i++) a.set(keyOf(i), benchValue(i));
              await whenHas(b, m - 1);
              return undefined;
            },
            check() {
              expectCount(b.keys().length, m, `${impl.name} B`);
              expectValue(b.get(keyOf(m - 1)), m - 1, `${impl.name} B`);
            },
            done: () => disconnect(link.a, link.b),
          };
        },
      };
    },
  };
}

const yjs: Variant = {
  name: 'yjs',
  open(m: number): Subject {
    return {
      prepare() {
        const a = new Y.Doc();
        const b = new Y.Doc();
        const unlink = linkDocs(a, b);
        const map = mapOf(a);
        return {
          run() {
            for (let i = 0; i < m; i++) map.set(keyOf(i), benchValue(i));
            return undefined;
          },
          check: () => expectDoc(b, m, m - 1, 'yjs B'),
          done() {
            unlink();
            a.destroy();
            b.destroy();
          },
        };
      },
    };
  },
};

export const live: Workload = {
  id: 'live',
  title: 'live updates, A → B',
  unit: 'ms',
  sizeLabel: 'M',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  target: { ratio: 0.33, at: 100_000, text: '≤ 0.33×' },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL), yjs, floorVariant((m) => m)],
};
