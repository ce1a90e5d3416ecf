/**
 * @module persist/local-storage
 * The browser store for small data (the seed's `kv` pointer): `persistLocalStorage(model, name)`,
 * with the contract of the file store. localStorage holds about 5 MB per origin; a write over
 * the quota fails with `ERR_SB_STORE_IO` (`syscallCode` `'QuotaExceededError'`) and the model
 * keeps working in memory.
 *
 * Layout, all under the key `name`:
 * - `name`: the commit record `{"format":"scuttlebutt-ts/log","gen":G,"n":N}`;
 * - `name/G/0 … name/G/(N-1)`: the log in records of whole wire-format lines (the header first);
 * - `name.corrupt`: JSON lines of what a load skipped.
 *
 * The commit record is the commit point. An append writes record `name/G/N`, then the commit
 * record with `N+1`; a compaction writes generation `G+1` in full, then the commit record, then
 * removes generation `G`. A tab closed between two `setItem` calls leaves records the commit
 * record does not count; the next open removes them. localStorage has no fsync: the browser
 * writes it to disk when it chooses, so the durability modes only differ in timing here, and
 * `flush()` means "handed to the browser". A key `name` that holds anything else is foreign.
 * No Node imports: this file is in the browser bundle.
 */
import type { Scuttlebutt } from '../scuttlebutt.js';
import { acquireWebLock } from './_web-lock.js';
import type { Snapshot } from './compaction.js';
import { resolveStoreOptions, type StoreOptions } from './durability.js';
import { type CorruptLine, type LogLoader, loadRecord } from './recovery.js';
import { PersistentStore, type StoreBackend } from './store.js';
import { ioError, StoreError } from './store-error.js';

const FORMAT = 'scuttlebutt-ts/log';

/** Options of {@link persistLocalStorage}. */
export interface LocalStorageStoreOptions extends StoreOptions {
  /** The storage (default `globalThis.localStorage`; `sessionStorage` works too). */
  storage?: Storage;
  /** Hold a Web Lock on the store while open, so that no other tab writes it (default true). */
  lock?: boolean;
}

/**
 * Keeps `model` in localStorage under the key `name`.
 * @param model - an empty model
 * @param name - the key (records use `name/…`)
 * @param options - the store options, `storage`, `lock`
 * @returns the store; await `store.ready` before replicating
 * @throws TypeError (code `ERR_SB_INVALID_ARGUMENT`); load failures reject `ready`
 * @example
 * ```ts
 * const store = persistLocalStorage(settings, 'settings')
 * await store.ready
 * ```
 */
export function persistLocalStorage(model: Scuttlebutt, name: string, options: LocalStorageStoreOptions = {}): PersistentStore {
  if (typeof name !== 'string' || name.length === 0) throw argumentError(`"name" expected a non-empty string, got ${String(name)}`);
  const resolved = resolveStoreOptions(options);
  const storage = options.storage ?? (globalThis as { localStorage?: Storage }).localStorage;
  if (storage === undefined) throw argumentError('"localStorage" is not available here; pass options.storage');
  return new PersistentStore(model, new LocalStorageBackend(name, storage, options.lock ?? true), resolved);
}

function argumentError(message: string): TypeError {
  const err = new TypeError(message);
  (err as TypeError & { code: string }).code = 'ERR_SB_INVALID_ARGUMENT';
  return err;
}

interface Commit {
  readonly gen: number;
  readonly n: number;
}

class LocalStorageBackend implements StoreBackend {
  readonly path: string;
  readonly #storage: Storage;
  readonly #lock: boolean;
  #release: (() => void) | null = null;
  #commit: Commit | null = null;
  #size = 0;
  #open = false;

  constructor(name: string, storage: Storage, lock: boolean) {
    this.path = name;
    this.#storage = storage;
    this.#lock = lock;
  }

  get size(): number {
    return this.#size;
  }

  get appendable(): boolean {
    return this.#open && this.#commit !== null;
  }

  #key(gen: number, index: number): string {
    return `${this.path}/${gen}/${index}`;
  }

  async open(loader: LogLoader): Promise<boolean> {
    try {
      if (this.#lock) this.#release = await acquireWebLock('ls', this.path);
      this.#open = true;
      return this.#load(loader);
    } catch (error) {
      await this.close();
      throw error instanceof StoreError ? error : ioError(this.path, 'reading localStorage failed', error);
    }
  }

  #load(loader: LogLoader): boolean {
    const raw = this.#storage.getItem(this.path);
    const commit = raw === null ? null : parseCommit(raw);
    if (raw !== null && commit === null) {
      throw new StoreError(
        'ERR_SB_STORE_FOREIGN',
        this.path,
        'the key holds something that is not a scuttlebutt store; nothing was changed',
      );
    }
    this.#removeStray(commit);
    if (commit === null) return false;
    const quarantine: { line: CorruptLine; text: string }[] = [];
    let lineIndex = 0;
    let size = 0;
    for (let i = 0; i < commit.n; i++) {
      const record = this.#storage.getItem(this.#key(commit.gen, i));
      if (record === null) {
        if (i === 0) throw new StoreError('ERR_SB_STORE_FOREIGN', this.path, 'the first record of the log is missing; nothing was changed');
        quarantine.push({ line: loader.skip(lineIndex, 0, `record ${i} of the log is missing`), text: '' });
        continue;
      }
      size += record.length;
      lineIndex += loadRecord(loader, record, lineIndex, (line, text) => quarantine.push({ line, text }));
    }
    if (quarantine.length > 0) {
      const at = new Date().toISOString();
      let text = this.#storage.getItem(`${this.path}.corrupt`) ?? '';
      for (const { line, text: lineText } of quarantine) {
        text += `${JSON.stringify({ offset: line.offset, kind: line.kind, reason: line.error.message, at, text: lineText })}\n`;
      }
      this.#set(`${this.path}.corrupt`, text, 'writing the quarantine record failed');
    }
    this.#commit = commit;
    this.#size = size;
    return loader.header !== null;
  }

  /** Removes records the commit record does not count (an interrupted append or compaction). */
  #removeStray(commit: Commit | null): void {
    const prefix = `${this.path}/`;
    const stray: string[] = [];
    for (let i = 0; i < this.#storage.length; i++) {
      const key = this.#storage.key(i);
      if (key === null || !key.startsWith(prefix)) continue;
      const match = /^(\d+)\/(\d+)$/.exec(key.slice(prefix.length));
      if (match === null) continue;
      const gen = Number(match[1]);
      const index = Number(match[2]);
      if (commit === null || gen !== commit.gen || index >= commit.n) stray.push(key);
    }
    for (const key of stray) this.#storage.removeItem(key);
  }

  async append(text: string): Promise<void> {
    const commit = this.#usable('append');
    const key = this.#key(commit.gen, commit.n);
    this.#set(key, text, 'append failed');
    const next: Commit = { gen: commit.gen, n: commit.n + 1 };
    try {
      this.#set(this.path, encodeCommit(next), 'append failed');
    } catch (error) {
      this.#storage.removeItem(key);
      throw error;
    }
    this.#commit = next;
    this.#size += text.length;
  }

  async sync(): Promise<void> {
    this.#usable('flush');
  }

  async replace(snapshot: Snapshot): Promise<void> {
    if (!this.#open) throw ioError(this.path, 'compaction refused', new Error('the store is closed'));
    const old = this.#commit;
    const gen = old === null ? 1 : old.gen + 1;
    let n = 0;
    let size = 0;
    try {
      for (const chunk of snapshot.chunks()) {
        this.#set(this.#key(gen, n), chunk, 'compaction failed; the old log is untouched');
        n++;
        size += chunk.length;
      }
      this.#set(this.path, encodeCommit({ gen, n }), 'compaction failed; the old log is untouched');
    } catch (error) {
      for (let i = 0; i < n; i++) this.#storage.removeItem(this.#key(gen, i));
      throw error;
    }
    this.#commit = { gen, n };
    this.#size = size;
    if (old !== null) for (let i = 0; i < old.n; i++) this.#storage.removeItem(this.#key(old.gen, i));
  }

  #usable(what: string): Commit {
    if (!this.#open || this.#commit === null)
      throw ioError(this.path, `${what} refused`, new Error('the store is closed or was never created'));
    return this.#commit;
  }

  #set(key: string, value: string, doing: string): void {
    try {
      this.#storage.setItem(key, value);
    } catch (error) {
      throw ioError(this.path, doing, error);
    }
  }

  async close(): Promise<void> {
    this.#open = false;
    this.#release?.();
    this.#release = null;
  }
}

function encodeCommit(commit: Commit): string {
  return JSON.stringify({ format: FORMAT, gen: commit.gen, n: commit.n });
}

function parseCommit(raw: string): Commit | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { format, gen, n } = value as Record<string, unknown>;
  if (format !== FORMAT || !Number.isSafeInteger(gen) || !Number.isSafeInteger(n) || (n as number) < 0) return null;
  return { gen: gen as number, n: n as number };
}
