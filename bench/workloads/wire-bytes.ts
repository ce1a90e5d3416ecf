/**
 * @module wire-bytes
 * Bytes on the wire per live update, both directions: A and B connected and synced (json
 * wrapper, in process); the bytes each stream emits are counted during M sets on A until B has
 * the last and the link is quiet. An update echoed back to its sender shows as B → A bytes.
 * Yjs: the update payloads forwarded between two docs (no transport framing). Floor: one line per
 * update, one way.
 */
import { benchValue, expectCount, keyOf, makeUpdates } from '../lib/data.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { type LinkProbe, liveSetsVariant, ORIGINAL, OURS } from '../lib/replicas.ts';
import { expectDoc, linkDocs, mapOf, Y } from '../lib/yjs.ts';

const bytesOf = (chunk: unknown): number => (typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).byteLength);

/** Lets pending microtasks, ticks and immediates run, so late echoes are counted too. */
async function quiet(): Promise<void> {
  for (let k = 0; k < 3; k++) await new Promise((resolve) => setImmediate(resolve));
}

function perUpdate(aToB: number, bToA: number, m: number) {
  return { value: (aToB + bToA) / m, detail: { 'A→B': aToB / m, 'B→A': bToA / m } };
}

/** Counts the bytes each stream of the link emits. */
const countBytes: LinkProbe = {
  settle: quiet,
  watch(link) {
    let aToB = 0;
    let bToA = 0;
    link.a.on('data', (chunk: unknown) => (aToB += bytesOf(chunk)));
    link.b.on('data', (chunk: unknown) => (bToA += bytesOf(chunk)));
    return (m) => perUpdate(aToB, bToA, m);
  },
};

const yjs: Variant = {
  name: 'yjs',
  open(m: number): Subject {
    return {
      prepare() {
        const a = new Y.Doc();
        const b = new Y.Doc();
        let aToB = 0;
        let bToA = 0;
        const unlink = linkDocs(a, b, (fromA, bytes) => {
          if (fromA) aToB += bytes;
          else bToA += bytes;
        });
        const map = mapOf(a);
        return {
          run() {
            for (let i = 0; i < m; i++) map.set(keyOf(i), benchValue(i));
            return perUpdate(aToB, bToA, m);
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

const floor: Variant = {
  name: 'floor',
  open(m: number): Subject {
    const updates = makeUpdates(m, 'A'.repeat(32));
    return {
      prepare() {
        let bytes = 0;
        return {
          run() {
            for (const update of updates) bytes += Buffer.byteLength(`${JSON.stringify(update)}\n`);
            return perUpdate(bytes, 0, m);
          },
          check: () => expectCount(updates.length, m, 'floor lines'),
        };
      },
    };
  },
};

export const wireBytes: Workload = {
  id: 'wire-bytes',
  title: 'wire bytes per live update (A→B + B→A)',
  unit: 'B/update',
  sizeLabel: 'M',
  sizes: { quick: [1_000], standard: [10_000], big: [] },
  target: { ratio: 0.5, at: 10_000, text: '≤ 0.5×' },
  variants: [liveSetsVariant(OURS, countBytes), liveSetsVariant(ORIGINAL, countBytes), yjs, floor],
};
