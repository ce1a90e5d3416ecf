/**
 * @module incremental
 * Incremental handshake: A and B hold the same N keys and are disconnected; A sets 10 new keys
 * (untimed); a fresh pair of streams is timed until both emitted `sync`, then disconnected.
 *
 * A handshake takes well under a millisecond once the history is indexed, which is the scale of a
 * cache-cold start after the runner's full garbage collection; so each trial makes up to
 * {@link HANDSHAKES} reconnects (10 new keys before each, untimed; fewer when each takes long, as
 * the original's do at large N) and reports the mean time of one handshake. The pair is synced
 * once per variant; the store grows by 10 keys per handshake.
 */
import { expectCount, expectValue, keyOf } from '../lib/data.ts';
import { floorVariant } from '../lib/floor.ts';
import type { Measurement, Subject, Variant, Workload } from '../lib/harness.ts';
import { connect, disconnect, fill, type Impl, ORIGINAL, OURS } from '../lib/replicas.ts';
import { expectDoc, fillDoc, syncDocs, Y } from '../lib/yjs.ts';

/** New keys before each handshake. */
const NEW_KEYS = 10;
/** Most handshakes per trial. */
export const HANDSHAKES = 20;
/** A trial stops early once this much time was measured (the original's O(N) handshakes). */
const ENOUGH_MS = 250;

/**
 * Runs `step` up to {@link HANDSHAKES} times (at least 3, fewer once {@link ENOUGH_MS} were
 * measured), each after an untimed `before`, and returns the mean time of one `step`; the
 * clean-up `step` returns runs untimed.
 */
async function meanOf(before: () => void, step: () => Promise<(() => Promise<void>) | undefined> | undefined): Promise<Measurement> {
  let total = 0;
  let count = 0;
  while (count < HANDSHAKES && (count < 3 || total < ENOUGH_MS)) {
    before();
    const start = performance.now();
    const cleanup = await step();
    total += performance.now() - start;
    count++;
    await cleanup?.();
  }
  return { value: total / count };
}

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    async open(n: number): Promise<Subject> {
      const a = impl.createModel();
      const b = impl.createModel();
      fill(a, n);
      const first = connect(a, b);
      await first.synced;
      await disconnect(first.a, first.b);
      let total = n;
      const addKeys = (): void => {
        fill(a, total + NEW_KEYS, total);
        total += NEW_KEYS;
      };
      return {
        prepare() {
          return {
            run: () =>
              meanOf(addKeys, async () => {
                const link = connect(a, b);
                await link.synced;
                return () => disconnect(link.a, link.b);
              }),
            check() {
              expectCount(b.keys().length, total, `${impl.name} B`);
              expectValue(b.get(keyOf(total - 1)), total - 1, `${impl.name} B`);
            },
          };
        },
        close() {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

const yjs: Variant = {
  name: 'yjs',
  open(n: number): Subject {
    const a = new Y.Doc();
    const b = new Y.Doc();
    fillDoc(a, n, 0, true);
    syncDocs(a, b);
    let total = n;
    const addKeys = (): void => {
      fillDoc(a, total + NEW_KEYS, total);
      total += NEW_KEYS;
    };
    return {
      prepare() {
        return {
          run: () => meanOf(addKeys, () => void syncDocs(a, b)),
          check: () => expectDoc(b, total, total - 1, 'yjs B'),
        };
      },
      close() {
        a.destroy();
        b.destroy();
      },
    };
  },
};

export const incremental: Workload = {
  id: 'incremental',
  title: 'incremental handshake, 10 new keys',
  unit: 'ms',
  sizeLabel: 'N',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  target: { ratio: 0.01, at: 100_000, text: '≤ 0.01×, flat' },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL), yjs, floorVariant(() => NEW_KEYS, 1, HANDSHAKES)],
};
