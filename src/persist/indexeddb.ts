/**
 * @module persist/indexeddb
 * The browser store for any amount of data: `persistIndexedDB(model, name, options)`, with the
 * contract of the file store (`ready`, `flush()`, `compact()`, `close()`, the same durability
 * modes, recovery rules and events).
 *
 * Layout: a database `name` with the object stores `log` (auto-incremented keys, each value a
 * string of whole wire-format lines: the first line of the first record is the header), `meta`
 * (a record touched by `flush()`) and `quarantine` (lines the load skipped). Each append is one
 * record in its own transaction, and a compaction clears `log` and writes the snapshot in one
 * transaction, so a tab closed or crashed at any moment leaves the old log or the new one.
 *
 * Durability maps onto transaction durability hints: `'fsync'` commits every append with
 * `durability: 'strict'` (Chromium flushes to disk before `complete`), the other modes use
 * `'relaxed'`, and `flush()` commits a strict transaction. Offsets in reports are line indexes.
 * No Node imports: this file is in the browser bundle.
 */
import type { Scuttlebutt } from '../scuttlebutt.js';
import { acquireWebLock } from './_web-lock.js';
import type { Snapshot } from './compaction.js';
import { resolveStoreOptions, type StoreOptions } from './durability.js';
import { type CorruptLine, type LogLoader, loadRecord } from './recovery.js';
import { PersistentStore, type StoreBackend } from './store.js';
import { ioError, StoreError } from './store-error.js';

const LOG = 'log';
const META = 'meta';
const QUARANTINE = 'quarantine';
/** Records read per request while loading. */
const READ_BATCH = 256;

/** Options of {@link persistIndexedDB}. */
export interface IndexedDBStoreOptions extends StoreOptions {
  /** The IndexedDB factory (default `globalThis.indexedDB`). */
  indexedDB?: IDBFactory;
  /** Hold a Web Lock on the store while open, so that no other tab writes it (default true). */
  lock?: boolean;
}

/**
 * Keeps `model` in the IndexedDB database `name`.
 * @param model - an empty model
 * @param name - the database name
 * @param options - the store options, `indexedDB`, `lock`
 * @returns the store; await `store.ready` before replicating
 * @throws TypeError or RangeError (code `ERR_SB_INVALID_ARGUMENT`); load failures reject `ready`
 * @example
 * ```ts
 * const store = persistIndexedDB(model, 'my-model')
 * await store.ready
 * ```
 */
export function persistIndexedDB(model: Scuttlebutt, name: string, options: IndexedDBStoreOptions = {}): PersistentStore {
  if (typeof name !== 'string' || name.length === 0) throw argumentError(`"name" expected a non-empty string, got ${String(name)}`);
  const resolved = resolveStoreOptions(options);
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) throw argumentError('"indexedDB" is not available here; pass options.indexedDB');
  return new PersistentStore(model, new IndexedDBBackend(name, factory, options.lock ?? true), resolved);
}

function argumentError(message: string): TypeError {
  const err = new TypeError(message);
  (err as TypeError & { code: string }).code = 'ERR_SB_INVALID_ARGUMENT';
  return err;
}

/** Settles with a request's result. */
function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Settles when a transaction commits (rejects if it aborts). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
  });
}

class IndexedDBBackend implements StoreBackend {
  readonly path: string;
  readonly #factory: IDBFactory;
  readonly #lock: boolean;
  #db: IDBDatabase | null = null;
  #release: (() => void) | null = null;
  #size = 0;
  #failed = false;

  constructor(name: string, factory: IDBFactory, lock: boolean) {
    this.path = name;
    this.#factory = factory;
    this.#lock = lock;
  }

  get size(): number {
    return this.#size;
  }

  get appendable(): boolean {
    return this.#db !== null && !this.#failed;
  }

  async open(loader: LogLoader): Promise<boolean> {
    try {
      if (this.#lock) this.#release = await acquireWebLock('idb', this.path);
      this.#db = await this.#openDatabase();
      return await this.#load(loader);
    } catch (error) {
      await this.close();
      throw error instanceof StoreError ? error : ioError(this.path, 'opening the database failed', error);
    }
  }

  #openDatabase(): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      const req = this.#factory.open(this.path);
      req.onupgradeneeded = (event) => {
        // Only a database that did not exist is set up; an existing one is never changed.
        if (event.oldVersion !== 0) return;
        const db = req.result;
        db.createObjectStore(LOG, { autoIncrement: true });
        db.createObjectStore(META);
        db.createObjectStore(QUARANTINE, { autoIncrement: true });
      };
      req.onsuccess = () => {
        const db = req.result;
        const names = db.objectStoreNames;
        if (!names.contains(LOG) || !names.contains(META) || !names.contains(QUARANTINE)) {
          db.close();
          reject(
            new StoreError('ERR_SB_STORE_FOREIGN', this.path, 'the database exists but is not a scuttlebutt store; nothing was changed'),
          );
          return;
        }
        // Another tab deletes or upgrades the database: let it, and fail our later writes.
        db.onversionchange = () => {
          db.close();
          this.#failed = true;
        };
        resolve(db);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new StoreError('ERR_SB_STORE_LOCKED', this.path, 'the database is blocked by another connection'));
    });
  }

  async #load(loader: LogLoader): Promise<boolean> {
    const db = this.#db as IDBDatabase;
    const quarantine: { line: CorruptLine; text: string }[] = [];
    let lineIndex = 0;
    let size = 0;
    let after: IDBValidKey | undefined;
    for (;;) {
      const tx = db.transaction(LOG, 'readonly');
      const store = tx.objectStore(LOG);
      const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true);
      const [keys, values] = await Promise.all([request(store.getAllKeys(range, READ_BATCH)), request(store.getAll(range, READ_BATCH))]);
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (typeof value !== 'string') {
          if (lineIndex === 0)
            throw new StoreError('ERR_SB_STORE_FOREIGN', this.path, 'the first record is not a log line; nothing was changed');
          quarantine.push({ line: loader.skip(lineIndex, 0, 'a record is not text'), text: safeJson(value) });
          lineIndex++;
          continue;
        }
        size += value.length;
        lineIndex += loadRecord(loader, value, lineIndex, (line, text) => quarantine.push({ line, text }));
      }
      if (values.length < READ_BATCH) break;
      after = keys[keys.length - 1];
    }
    this.#size = size;
    if (quarantine.length > 0) {
      const tx = db.transaction(QUARANTINE, 'readwrite', { durability: 'strict' });
      const store = tx.objectStore(QUARANTINE);
      const at = new Date().toISOString();
      for (const { line, text } of quarantine) store.add({ offset: line.offset, kind: line.kind, reason: line.error.message, at, text });
      await committed(tx);
    }
    return loader.header !== null;
  }

  async append(text: string, durable: boolean): Promise<void> {
    const db = this.#usable('append');
    try {
      const tx = db.transaction(LOG, 'readwrite', { durability: durable ? 'strict' : 'relaxed' });
      tx.objectStore(LOG).add(text);
      await committed(tx);
    } catch (error) {
      // The transaction aborted: nothing of it was stored, the log is as it was.
      throw ioError(this.path, 'append failed', error);
    }
    this.#size += text.length;
  }

  async sync(): Promise<void> {
    const db = this.#usable('flush');
    try {
      const tx = db.transaction(META, 'readwrite', { durability: 'strict' });
      tx.objectStore(META).put(Date.now(), 'flushed');
      await committed(tx);
    } catch (error) {
      throw ioError(this.path, 'flush failed', error);
    }
  }

  async replace(snapshot: Snapshot): Promise<void> {
    const db = this.#usable('compaction');
    let size = 0;
    try {
      const tx = db.transaction(LOG, 'readwrite', { durability: 'strict' });
      const store = tx.objectStore(LOG);
      store.clear();
      for (const chunk of snapshot.chunks()) {
        store.add(chunk);
        size += chunk.length;
      }
      await committed(tx);
    } catch (error) {
      throw ioError(this.path, 'compaction failed; the old log is untouched', error);
    }
    this.#size = size;
  }

  #usable(what: string): IDBDatabase {
    if (this.#db === null || this.#failed) {
      throw ioError(this.path, `${what} refused`, new Error('the database was closed, deleted or upgraded by another connection'));
    }
    return this.#db;
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = null;
    this.#release?.();
    this.#release = null;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
