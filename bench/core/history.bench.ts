/**
 * @module history.bench
 * `history(clock)` on a large store: a model of N keys from one source, asked for what a clock
 * missing the last 10 updates lacks (what every reconnecting peer asks). Ours answers from its
 * per-source index (`HistoryIndex.since`); the original walks the whole store. Yjs: the
 * equivalent question, `encodeStateAsUpdate(doc, stateVector)` with a state vector missing the
 * last 10 sets. Reported per call; each sample averages a fixed number of calls.
 */
import { expectCount, expectValue } from '../lib/data.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { fill, type Impl, ORIGINAL, OURS } from '../lib/replicas.ts';
import { fillDoc, mapOf, Y } from '../lib/yjs.ts';

const MISSING = 10;

/** Calls per sample: enough for a measurable sample at small N, few at 1M. */
const callsFor = (n: number): number => Math.max(3, Math.round(2_000_000 / n));

function timePerCall(calls: number, fn: () => void): number {
  const start = performance.now();
  for (let k = 0; k < calls; k++) fn();
  return (performance.now() - start) / calls;
}

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    open(n: number): Subject {
      const model = impl.createModel();
      fill(model, n - MISSING);
      const clock = { ...model.sources };
      fill(model, n, n - MISSING);
      return {
        prepare() {
          let result: unknown[] = [];
          return {
            run() {
              return { value: timePerCall(callsFor(n), () => (result = model.history(clock))) };
            },
            check() {
              expectCount(result.length, MISSING, `${impl.name} history`);
              expectValue((result[MISSING - 1] as [[string, unknown]])[0][1], n - 1, `${impl.name} history`);
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
    const doc = new Y.Doc();
    fillDoc(doc, n - MISSING, 0, true);
    const sv = Y.encodeStateVector(doc);
    fillDoc(doc, n, n - MISSING);
    return {
      prepare() {
        let diff: Uint8Array = new Uint8Array(0);
        return {
          run() {
            return { value: timePerCall(callsFor(n), () => (diff = Y.encodeStateAsUpdate(doc, sv))) };
          },
          check() {
            // The diff only applies on top of the first n - 10 sets (Yjs needs each client's
            // history contiguous), so read it instead: exactly the 10 missing items.
            const { structs } = Y.decodeUpdate(diff);
            expectCount(structs.length, MISSING, 'yjs diff');
            const last = structs[MISSING - 1] as Y.Item;
            expectValue(last.content.getContent()[0], n - 1, 'yjs diff');
            expectCount(mapOf(doc).size, n, 'yjs doc');
          },
        };
      },
    };
  },
};

export const history: Workload = {
  id: 'core/history',
  title: 'history(clock missing last 10)',
  unit: 'ms/call',
  sizeLabel: 'N',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL), yjs],
};
