/**
 * @module yjs
 * The Yjs side: a `Y.Doc` with one `Y.Map` named `m`, synced the way y-protocols' sync protocol
 * does it (step 1 sends a state vector, step 2 answers with `encodeStateAsUpdate(doc, sv)`), and
 * live links that forward `doc.on('update')` to the other doc, tagged with an origin so an update
 * is never sent back where it came from (as y-websocket does).
 */
import * as Y from 'yjs';
import { benchValue, expectCount, expectValue, keyOf } from './data.ts';

/** The shared map of a doc. */
export const mapOf = (doc: Y.Doc): Y.Map<unknown> => doc.getMap('m');

/** Sets `key_i` for `i` in `[from, to)`, one transaction per set unless `batch`. */
export function fillDoc(doc: Y.Doc, to: number, from = 0, batch = false): void {
  const map = mapOf(doc);
  if (batch) doc.transact(() => setRange(map, from, to));
  else setRange(map, from, to);
}

function setRange(map: Y.Map<unknown>, from: number, to: number): void {
  for (let i = from; i < to; i++) map.set(keyOf(i), benchValue(i));
}

/**
 * Both sync steps in both directions, as two peers running y-protocols' sync would:
 * each sends its state vector and applies the other's answer.
 */
export function syncDocs(a: Y.Doc, b: Y.Doc): void {
  const svA = Y.encodeStateVector(a);
  const svB = Y.encodeStateVector(b);
  const toB = Y.encodeStateAsUpdate(a, svB);
  const toA = Y.encodeStateAsUpdate(b, svA);
  Y.applyUpdate(b, toB, 'sync');
  Y.applyUpdate(a, toA, 'sync');
}

/** A live link between two docs: every local update of one is applied to the other. */
export function linkDocs(a: Y.Doc, b: Y.Doc, onBytes?: (fromA: boolean, bytes: number) => void): () => void {
  const fromA = (update: Uint8Array, origin: unknown): void => {
    if (origin === b) return; // came from b: no echo
    onBytes?.(true, update.byteLength);
    Y.applyUpdate(b, update, a);
  };
  const fromB = (update: Uint8Array, origin: unknown): void => {
    if (origin === a) return;
    onBytes?.(false, update.byteLength);
    Y.applyUpdate(a, update, b);
  };
  a.on('update', fromA);
  b.on('update', fromB);
  return () => {
    a.off('update', fromA);
    b.off('update', fromB);
  };
}

/** Throws unless the doc's map has `count` keys and `key_last` holds its value. */
export function expectDoc(doc: Y.Doc, count: number, last: number, where: string): void {
  const map = mapOf(doc);
  expectCount(map.size, count, where);
  expectValue(map.get(keyOf(last)), last, where);
}

export { Y };
