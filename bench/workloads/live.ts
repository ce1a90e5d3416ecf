/**
 * @module live
 * Live updates: A and B connected and synced (empty); M `set`s on A in a loop without awaiting;
 * timed until B has the last key. Yjs: each `set` is its own transaction, forwarded by
 * `doc.on('update')` to the other doc.
 */
import { benchValue, keyOf } from '../lib/data.ts';
import { floorVariant } from '../lib/floor.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { liveSetsVariant, ORIGINAL, OURS } from '../lib/replicas.ts';
import { expectDoc, linkDocs, mapOf, Y } from '../lib/yjs.ts';

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
  variants: [liveSetsVariant(OURS), liveSetsVariant(ORIGINAL), yjs, floorVariant((m) => m)],
};
