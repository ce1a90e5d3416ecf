/**
 * @module scuttlebutt-ts/persist (browser)
 * The browser side of `scuttlebutt-ts/persist`: the IndexedDB and localStorage stores, with the
 * contract of the file store. A `browser` condition on the `./persist` export can point here, so
 * that `import { persistIndexedDB } from 'scuttlebutt-ts/persist'` works in bundlers and the
 * main browser bundle need not carry persistence. No Node imports (`node:events` is swapped for
 * the small emitter by the browser build).
 */
import { LocalProtocolError } from '../errors.js';

export type { Snapshot } from './compaction.js';
export {
  DEFAULT_BATCH_INTERVAL_MS,
  DEFAULT_COMPACT_FACTOR,
  DEFAULT_COMPACT_MIN_BYTES,
  DEFAULT_DURABILITY,
  type Durability,
  type ResolvedStoreOptions,
  type StoreOptions,
} from './durability.js';
export { type IndexedDBStoreOptions, persistIndexedDB } from './indexeddb.js';
export { type LocalStorageStoreOptions, persistLocalStorage } from './local-storage.js';
export type { CorruptLine, LoadSummary } from './recovery.js';
export { type CompactionReport, PersistentStore, type StoreBackend, type StoreStats } from './store.js';
export { StoreError, type StoreErrorCode } from './store-error.js';

/**
 * The file store needs a file system: in a browser this throws, and says what to use instead
 * (the browser stub of a Node-only API, like ws `browser.js`).
 * @throws LocalProtocolError ERR_SB_INVALID_ARGUMENT, always
 * @example
 * ```ts
 * persistIndexedDB(model, 'my-doc') // instead of persist(model, 'my-doc.sb')
 * ```
 */
export function persist(_model: unknown, _path: string, _options?: unknown): never {
  throw new LocalProtocolError(
    'ERR_SB_INVALID_ARGUMENT',
    'persist(model, path) keeps a model in a file and needs Node; in browsers use persistIndexedDB(model, name) or persistLocalStorage(model, name)',
  );
}
