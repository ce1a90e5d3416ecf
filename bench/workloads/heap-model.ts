/**
 * @module heap-model
 * Heap bytes per key of a Model holding N keys: the `heapUsed` delta, after full garbage
 * collections, of building the model with N `set`s (values included). Floor: a plain `Map` of
 * key → value, the data alone. Yjs: a `Y.Doc` whose `Y.Map` got the same N sets.
 */
import { benchValue, expectCount, expectValue, keyOf } from '../lib/data.ts';
import { collectGarbage, type Subject, type Variant, type Workload } from '../lib/harness.ts';
import { fill, type Impl, type ModelLike, ORIGINAL, OURS } from '../lib/replicas.ts';
import { expectDoc, fillDoc, Y } from '../lib/yjs.ts';

/** Heap growth per item of whatever `build` returns (kept alive until after the measure). */
export function heapPerItem<T>(n: number, build: () => T): { held: T; perItem: number } {
  collectGarbage(2);
  const before = process.memoryUsage().heapUsed;
  const held = build();
  collectGarbage(2);
  const after = process.memoryUsage().heapUsed;
  return { held, perItem: (after - before) / n };
}

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    open(n: number): Subject {
      return {
        prepare() {
          let model: ModelLike | undefined;
          return {
            run() {
              const { held, perItem } = heapPerItem(n, () => {
                const m = impl.createModel();
                fill(m, n);
                return m;
              });
              model = held;
              return { value: perItem };
            },
            check() {
              const m = model as ModelLike;
              expectCount(m.keys().length, n, impl.name);
              expectValue(m.get(keyOf(n - 1)), n - 1, impl.name);
            },
          };
        },
      };
    },
  };
}

const yjs: Variant = {
  name: 'yjs',
  open(n: number): Subject {
    return {
      prepare() {
        let doc: Y.Doc | undefined;
        return {
          run() {
            const { held, perItem } = heapPerItem(n, () => {
              const d = new Y.Doc();
              fillDoc(d, n);
              return d;
            });
            doc = held;
            return { value: perItem };
          },
          check: () => expectDoc(doc as Y.Doc, n, n - 1, 'yjs'),
          done: () => doc?.destroy(),
        };
      },
    };
  },
};

const floor: Variant = {
  name: 'floor',
  open(n: number): Subject {
    return {
      prepare() {
        let map: Map<string, unknown> | undefined;
        return {
          run() {
            const { held, perItem } = heapPerItem(n, () => {
              const m = new Map<string, unknown>();
              for (let i = 0; i < n; i++) m.set(keyOf(i), benchValue(i));
              return m;
            });
            map = held;
            return { value: perItem };
          },
          check() {
            expectCount(map?.size ?? 0, n, 'floor map');
            expectValue(map?.get(keyOf(n - 1)), n - 1, 'floor map');
          },
        };
      },
    };
  },
};

export const heapModel: Workload = {
  id: 'heap-model',
  title: 'Model heap per key',
  unit: 'B/key',
  sizeLabel: 'N',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  target: { ratio: 0.8, at: 100_000, text: '≤ 0.8×' },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL), yjs, floor],
};
