/**
 * @module merge.bench
 * Merge: N updates from one remote source applied into an empty Model (ours
 * `receiveUpdate`, the original `_update`): validation, the clock, last-write-wins, the index and
 * the model's events, without streams or JSON.
 */
import { type BenchUpdate, expectCount, expectValue, keyOf, makeUpdates } from '../lib/data.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { type Impl, ORIGINAL, OURS } from '../lib/replicas.ts';

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    open(n: number): Subject {
      return {
        prepare() {
          // Fresh arrays per trial: the original keeps the update arrays it is given.
          const updates: BenchUpdate[] = makeUpdates(n, 'REMOTE');
          const model = impl.createModel();
          return {
            run() {
              for (let k = 0; k < n; k++) impl.receive(model, updates[k]);
              return undefined;
            },
            check() {
              expectCount(model.keys().length, n, `${impl.name} model`);
              expectValue(model.get(keyOf(n - 1)), n - 1, `${impl.name} model`);
            },
          };
        },
      };
    },
  };
}

export const merge: Workload = {
  id: 'core/merge',
  title: 'merge N updates into an empty Model',
  unit: 'ms',
  sizeLabel: 'N',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL)],
};
