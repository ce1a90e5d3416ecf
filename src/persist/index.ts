/**
 * @module scuttlebutt-ts/persist
 * Durable, crash-safe storage of a model in a file: `persist(model, path, options)`.
 *
 * The file is the original's persistence format (the bytes of `createReadStream()`): a header
 * `{"id","clock"}`, update lines, `"SYNC"` after a snapshot. The original's
 * `fs.createReadStream(file).pipe(model.createWriteStream())` reads it, and files the original
 * wrote load here. See `docs/persistence.md` for the guarantees of each durability mode, the
 * recovery rules and what is not protected.
 */
import { resolve } from 'node:path';
import { assertFunction } from '../protocol/_assert.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { resolveStoreOptions, type StoreOptions } from './durability.js';
import { FileBackend } from './file-backend.js';
import { nodeFs, type StoreFs } from './fs.js';
import { PersistentStore } from './store.js';

export { createSnapshot, type Snapshot } from './compaction.js';
export {
  DEFAULT_BATCH_INTERVAL_MS,
  DEFAULT_COMPACT_FACTOR,
  DEFAULT_COMPACT_MIN_BYTES,
  DEFAULT_DURABILITY,
  type Durability,
  type ResolvedStoreOptions,
  type StoreOptions,
} from './durability.js';
export { quarantinePathOf } from './file-backend.js';
export { tempPathOf } from './file-replace.js';
export { nodeFs, type StoreFileHandle, type StoreFs, type StoreStat } from './fs.js';
// The browser stores, also here so that both sides of this subpath export the same names (they
// run in Node too, given an `indexedDB` factory or a `Storage`).
export { type IndexedDBStoreOptions, persistIndexedDB } from './indexeddb.js';
export { type LocalStorageStoreOptions, persistLocalStorage } from './local-storage.js';
export type { CorruptLine, LoadSummary } from './recovery.js';
export { type CompactionReport, PersistentStore, type StoreBackend, type StoreStats } from './store.js';
export { StoreError, type StoreErrorCode } from './store-error.js';

/** Options of {@link persist}: the store options plus the file system and the lock. */
export interface PersistOptions extends StoreOptions {
  /** The file system (default Node's); a test passes one that fails like a full disk. */
  fs?: StoreFs;
  /** Hold `<path>.lock` while open, so that no second store appends to the file (default true). */
  lock?: boolean;
}

/**
 * Keeps `model` in the file at `path`: loads it (`store.ready`), then appends every update the
 * model applies, local or remote, in the wire format, and compacts the file when it outgrows the
 * live state.
 * @param model - an empty model (or one whose updates the file does not have yet)
 * @param path - the log file; created if missing (its directory must exist)
 * @param options - `durability` (`'fsync'` default, `'batch'`, `'none'`), `batchIntervalMs`,
 *   `compactFactor`, `compactMinBytes`, `maxMessageBytes`, `lock`, `fs`
 * @returns the store; await `store.ready` before replicating the model
 * @throws TypeError or RangeError (code `ERR_SB_INVALID_ARGUMENT`) for a bad argument; load
 *   failures reject `store.ready` with a StoreError: ERR_SB_STORE_FOREIGN,
 *   ERR_SB_STORE_LINE_TOO_LARGE, ERR_SB_STORE_CONFLICT, ERR_SB_STORE_LOCKED, ERR_SB_STORE_IO
 * @example
 * ```ts
 * import { Model } from 'scuttlebutt-ts'
 * import { persist } from 'scuttlebutt-ts/persist'
 *
 * const model = new Model()
 * const store = persist(model, 'data/model.sb')
 * await store.ready
 * model.set('greeting', 'hello')
 * await store.flush() // on disk, fsync'd
 * ```
 */
export function persist(model: Scuttlebutt, path: string, options: PersistOptions = {}): PersistentStore {
  if (typeof model !== 'object' || model === null) throw argumentError('type', `"model" expected a Scuttlebutt model, got ${model}`);
  assertFunction('model.restoreUpdate', (model as { restoreUpdate?: unknown }).restoreUpdate);
  if (typeof path !== 'string') throw argumentError('type', `"path" expected string, got ${typeof path}`);
  if (path.length === 0) throw argumentError('range', '"path" expected a non-empty string');
  const resolved = resolveStoreOptions(options);
  const fs = options.fs ?? nodeFs;
  const lock = options.lock ?? true;
  if (typeof lock !== 'boolean') throw argumentError('type', `"lock" expected boolean, got ${typeof lock}`);
  const backend = new FileBackend(resolve(path), fs, lock, resolved.maxMessageBytes);
  return new PersistentStore(model, backend, resolved);
}

function argumentError(kind: 'type' | 'range', message: string): Error {
  const err = kind === 'type' ? new TypeError(message) : new RangeError(message);
  (err as Error & { code: string }).code = 'ERR_SB_INVALID_ARGUMENT';
  return err;
}
