/**
 * @module persist/store
 * The durable store of a model: one engine, three backends (a file, IndexedDB, localStorage).
 *
 * Theory of operation. The store listens to the model's `_update` signal, which fires once for
 * every applied update, local or remote. Each update gets a sequence number and its wire line
 * joins a queue. One writer loop (the "pump", never two at once) drains the queue: everything
 * queued goes out in one append (group commit), fsync'd with it in `'fsync'` mode; `'batch'`
 * mode fsyncs on a timer, `'none'` only when asked. `flush()` takes the current sequence number
 * and resolves once the durable sequence number reaches it, so its promise is exact whatever the
 * mode. The same loop runs compactions, so appends and compactions never interleave.
 *
 * Loading: while the backend reads the log, the store sets a flag around each
 * `model.restoreUpdate()`, so what is loaded is not appended again. Updates the model receives
 * otherwise before the load ends (or held before `persist()` was called) are not queued: the
 * store writes a snapshot right after the load instead, which keeps the log ordered by source.
 *
 * Failures: a failed load (foreign file, over-long line, conflict, I/O) is final for this store;
 * nothing on disk is changed. A failed append or fsync leaves the log in an unknown state
 * (fsync errors may drop dirty pages), so the store stops appending ("faulted") and drops its
 * queue; the next `flush()`, `compact()` or `close()` recovers by writing a complete snapshot
 * from memory through the compaction path, which replaces the log atomically. A failed
 * compaction leaves the old log intact and appends continue.
 *
 * Errors never crash the process: every promise the store returns is marked handled, and
 * `'error'` is only emitted when someone listens for it.
 */
import { EventEmitter } from 'node:events';
import { createClock, type Update } from '../protocol/update.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { CompactionPolicy, createSnapshot, estimateLiveBytes, type Snapshot } from './compaction.js';
import type { ResolvedStoreOptions } from './durability.js';
import { type CorruptLine, type LoadSummary, LogLoader } from './recovery.js';
import { ioError, StoreError } from './store-error.js';

/** Where a store keeps its log: a file, an IndexedDB database, localStorage keys. */
export interface StoreBackend {
  /** The file path or store name, for errors and events. */
  readonly path: string;
  /** Size of the log, in bytes (characters for localStorage). */
  readonly size: number;
  /** Whether appends may continue; false before the log exists and after a failed append. */
  readonly appendable: boolean;
  /**
   * Reads the stored log into `loader` and repairs it (a torn tail, quarantine of bad lines).
   * @returns whether a log existed (false: the store is new, a snapshot will create it)
   * @throws StoreError; the backend releases what it holds before throwing
   */
  open(loader: LogLoader): Promise<boolean>;
  /** Appends whole lines; with `durable`, resolves once they are on stable storage. */
  append(text: string, durable: boolean): Promise<void>;
  /** Makes every append so far durable. */
  sync(): Promise<void>;
  /** Atomically replaces the log by `snapshot`, durably. The old log is intact if it throws before committing. */
  replace(snapshot: Snapshot): Promise<void>;
  /** Releases the backend (file handles, locks). */
  close(): Promise<void>;
}

/** What the `'compacted'` event carries. */
export interface CompactionReport {
  readonly path: string;
  /** Log size before and after. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Updates in the snapshot. */
  readonly updates: number;
  readonly durationMs: number;
  /**
   * `'auto'` (the factor), `'manual'` (`compact()`), `'open'` (a new store, or state held before
   * the load), `'recovery'` (after a failed write), `'reset'` (the model took a reset: it dropped
   * data the log still holds, so the log is rewritten from the model).
   */
  readonly reason: 'auto' | 'manual' | 'open' | 'recovery' | 'reset';
}

/** Counters of a store, for monitoring and tests. */
export interface StoreStats {
  /** Size of the log in bytes (characters for localStorage). */
  readonly bytes: number;
  /** Lines in the log. */
  readonly lines: number;
  /** What the load found (null before it ended). */
  readonly load: LoadSummary | null;
  /** Updates appended since the store opened. */
  readonly appended: number;
  /** Appends (each one a write, and an fsync in `'fsync'` mode). */
  readonly writes: number;
  /** fsyncs issued by `'batch'`/`'none'` and `flush()`. */
  readonly syncs: number;
  readonly compactions: number;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type Phase = 'loading' | 'open' | 'closing' | 'closed';

/** Most characters handed to one append: 4 Mi. A burst of updates becomes several writes, not one huge string. */
const MAX_APPEND_CHARS = 4 * 1024 * 1024;

const noop = (): void => {};

/** Marks a promise as handled (the caller still sees the rejection) and returns it. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

/**
 * A model's durable store. Create it with `persist()` (a file), `persistIndexedDB()` or
 * `persistLocalStorage()`.
 *
 * Events: `'corrupt'` ({@link CorruptLine}: a line skipped, or a torn tail cut, while loading),
 * `'compacted'` ({@link CompactionReport}), `'error'` (a {@link StoreError}; only emitted when
 * listened to, the same error also rejects the pending promises).
 *
 * @example
 * ```ts
 * const store = persist(model, 'data/model.sb')
 * await store.ready
 * model.set('k', 1)
 * await store.flush() // 'k' is on disk
 * await store.close()
 * ```
 */
export class PersistentStore extends EventEmitter {
  /** Resolves once the model holds what the store held (and a new store was created); rejects with a {@link StoreError}. */
  readonly ready: Promise<void>;
  /** The file path or store name. */
  readonly path: string;
  readonly options: ResolvedStoreOptions;
  readonly #model: Scuttlebutt;
  readonly #backend: StoreBackend;
  readonly #policy: CompactionPolicy;
  /** Settles (never rejects) when the load has ended. */
  readonly #opened: Promise<void>;
  #phase: Phase = 'loading';
  #loadError: StoreError | null = null;
  #fault: StoreError | null = null;
  #restoring = false;
  /** The model holds updates the log lacks that were not queued (held before, or applied during, the load). */
  #needsSnapshot: boolean;
  #appliedSeq = 0;
  #writtenSeq = 0;
  #durableSeq = 0;
  /** Lines of the updates `#writtenSeq + 1 … #appliedSeq`, in order. */
  #pending: string[] = [];
  #waiters: Waiter[] = [];
  #syncWanted = false;
  #compactWanted: CompactionReport['reason'] | null = null;
  #compactWaiters: Waiter[] = [];
  #running = false;
  /** Settles when the current writer loop has stopped. */
  #pumpDone: Promise<void> = Promise.resolve();
  #kickScheduled = false;
  #recovering: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #batchTimer: ReturnType<typeof setTimeout> | undefined;
  #logLines = 0;
  #load: LoadSummary | null = null;
  #appended = 0;
  #writes = 0;
  #syncs = 0;
  #compactions = 0;

  /**
   * Use `persist()`, `persistIndexedDB()` or `persistLocalStorage()` rather than this.
   * @param model - the model to keep
   * @param backend - where the log lives
   * @param options - validated options
   */
  constructor(model: Scuttlebutt, backend: StoreBackend, options: ResolvedStoreOptions) {
    super();
    this.#model = model;
    this.#backend = backend;
    this.path = backend.path;
    this.options = options;
    this.#policy = new CompactionPolicy(options.compactFactor, options.compactMinBytes);
    this.#needsSnapshot = hasUpdates(model);
    model.on('_update', this.#onUpdate);
    model.on('_reset', this.#onReset);
    model.once('dispose', this.#onDispose);
    this.#opened = this.#open();
    this.ready = handled(this.#opened.then(() => this.#readyResult()));
  }

  /** The failure that stopped the store (a failed load, or a write failure not yet recovered), or null. */
  get error(): StoreError | null {
    return this.#loadError ?? this.#fault;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#phase === 'closing' || this.#phase === 'closed';
  }

  /** Counters: log size, appends, fsyncs, compactions, what the load found. */
  get stats(): StoreStats {
    return {
      bytes: this.#backend.size,
      lines: this.#logLines,
      load: this.#load,
      appended: this.#appended,
      writes: this.#writes,
      syncs: this.#syncs,
      compactions: this.#compactions,
    };
  }

  /**
   * Resolves once every update applied to the model before this call is written and on stable
   * storage (fsync'd), whatever the durability mode. After a write failure it first tries to
   * recover by writing a complete snapshot.
   * @returns a promise, marked handled (an unobserved rejection never crashes the process)
   * @throws (rejects) StoreError: the load's error, ERR_SB_STORE_IO, ERR_SB_STORE_CLOSED
   * @example
   * ```ts
   * model.set('order', 42); await store.flush() // now acknowledge the order
   * ```
   */
  flush(): Promise<void> {
    return handled(this.#flush());
  }

  /**
   * Rewrites the log as a snapshot of the model now (temporary file, fsync, rename, directory
   * fsync for a file). Also the way out of a write failure.
   * @throws (rejects) StoreError: the load's error, ERR_SB_STORE_IO, ERR_SB_STORE_CLOSED
   */
  compact(): Promise<void> {
    return handled(this.#compact('manual'));
  }

  /**
   * Flushes, stops listening to the model and releases the file (or database) and its lock.
   * Updates applied after this call are not stored. Idempotent; called when the model is disposed.
   * @throws (rejects) StoreError when the final flush failed (the store is released anyway)
   */
  close(): Promise<void> {
    if (this.#closing === null) this.#closing = handled(this.#close());
    return this.#closing;
  }

  /** A reset dropped data the log holds (and moved the clock): only a snapshot stores that. */
  readonly #onReset = (): void => {
    if (this.#phase === 'loading') {
      this.#needsSnapshot = true;
      return;
    }
    if (this.#phase !== 'open' || this.#loadError !== null) return;
    this.#compact('reset').catch(() => {}); // a failure is reported as 'error' and recovered by the next flush
  };

  readonly #onUpdate = (update: Update): void => {
    if (this.#restoring) return;
    if (this.#phase === 'closed' || this.#loadError !== null) return;
    this.#appliedSeq++;
    if (this.#phase === 'loading') {
      this.#needsSnapshot = true;
      return;
    }
    // Faulted: the recovery snapshot will hold this update; keep no queue (bounded memory).
    if (this.#fault !== null && this.#recovering === null) return;
    this.#pending.push(this.#model.encodeUpdate(update));
    this.#kick();
  };

  readonly #onDispose = (): void => {
    void this.close();
  };

  #restore = (update: Update): ReturnType<Scuttlebutt['restoreUpdate']> => {
    this.#restoring = true;
    try {
      return this.#model.restoreUpdate(update);
    } finally {
      this.#restoring = false;
    }
  };

  async #open(): Promise<void> {
    const loader = new LogLoader(this.path, this.#model, this.#restore, (line: CorruptLine) => this.emit('corrupt', line));
    let found: boolean;
    try {
      found = await this.#backend.open(loader);
    } catch (error) {
      this.#loadError = error instanceof StoreError ? error : ioError(this.path, 'loading failed', error);
      this.#phase = 'closed';
      this.#detach();
      this.#emitError(this.#loadError);
      return;
    }
    try {
      await this.#afterLoad(loader, found);
    } catch (error) {
      this.#setFault(ioError(this.path, 'opening failed', error));
    }
  }

  async #afterLoad(loader: LogLoader, found: boolean): Promise<void> {
    const summary = loader.finish();
    this.#load = summary;
    const header = loader.header;
    // With lines put aside (corrupt), the clock is not restored: peers must be able to send
    // those updates again. The collected horizon is, so stale peers still get a reset.
    if (header !== null) this.#model.restoreHorizon(summary.corrupt > 0 ? createClock() : header.clock, header.collected);
    this.#logLines = summary.lines;
    if (this.#phase === 'loading') this.#phase = 'open';
    // Measuring the live state costs a history() call (a sort of every entry): not at load. A log
    // this store wrote is within the factor already; a bloated one (written by the original, or
    // with compaction off) is compacted once it has grown by the factor, or by compact().
    if (found) {
      this.#policy.reset(this.#backend.size);
      // What was loaded (and the repair of its end) may still be only in the page cache, left by
      // a process that was killed: count it as one written, not yet durable, update, so that the
      // first flush() fsyncs it, without an fsync on the way to `ready`.
      this.#writtenSeq = ++this.#appliedSeq;
      if (this.options.durability === 'batch') this.#armBatchTimer();
    }
    // The log lacks state the model holds (a new store, updates before persist() or during the
    // load): only a snapshot stores it. Lines skipped by the load are quarantined: a snapshot also
    // rewrites the log so that they are not reported again.
    const lacking = !found || this.#needsSnapshot;
    this.#needsSnapshot = false;
    if (lacking || summary.corrupt > 0) {
      try {
        await this.#enqueueCompaction('open');
      } catch (error) {
        // Without the snapshot, the log would miss updates the sequence numbers count as written.
        if (lacking && this.#fault === null) this.#setFault(ioError(this.path, 'writing the state the log lacks failed', error));
      }
    }
  }

  #readyResult(): void {
    if (this.#loadError !== null) throw this.#loadError;
    if (this.#fault !== null) throw this.#fault;
  }

  async #flush(): Promise<void> {
    await this.#opened;
    if (this.#loadError !== null) throw this.#loadError;
    if (this.#phase === 'closed') throw new StoreError('ERR_SB_STORE_CLOSED', this.path, 'the store was closed');
    const target = this.#appliedSeq;
    if (this.#durableSeq >= target) return;
    if (this.#fault !== null) {
      await this.#recover();
      if (this.#durableSeq >= target) return;
    }
    await new Promise<void>((resolve, reject) => {
      this.#waiters.push({ seq: target, resolve, reject });
      this.#syncWanted = true;
      this.#kick();
    });
  }

  async #compact(reason: CompactionReport['reason']): Promise<void> {
    await this.#opened;
    if (this.#loadError !== null) throw this.#loadError;
    if (this.#phase === 'closed') throw new StoreError('ERR_SB_STORE_CLOSED', this.path, 'the store was closed');
    if (this.#fault !== null) return this.#recover();
    return this.#enqueueCompaction(reason);
  }

  #enqueueCompaction(reason: CompactionReport['reason']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#compactWaiters.push({ seq: this.#appliedSeq, resolve, reject });
      if (this.#compactWanted === null || reason !== 'auto') this.#compactWanted = reason;
      this.#kick();
    });
  }

  async #close(): Promise<void> {
    await this.#opened;
    if (this.#phase === 'closed') {
      this.#detach();
      return;
    }
    this.#phase = 'closing';
    let failure: unknown = null;
    try {
      await this.#flush();
    } catch (error) {
      failure = error;
    }
    this.#detach();
    this.#phase = 'closed';
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    this.#rejectAll(new StoreError('ERR_SB_STORE_CLOSED', this.path, 'the store was closed'));
    await this.#pumpDone; // an append of updates applied after the final flush may be under way
    await this.#recovering?.catch(noop);
    try {
      await this.#backend.close();
    } catch (error) {
      failure ??= ioError(this.path, 'closing failed', error);
    }
    if (failure !== null) throw failure;
  }

  #detach(): void {
    this.#model.off('_update', this.#onUpdate);
    this.#model.off('_reset', this.#onReset);
    this.#model.off('dispose', this.#onDispose);
  }

  #kick(): void {
    if (this.#running || this.#kickScheduled) return;
    this.#kickScheduled = true;
    // One microtask later: every update applied in the same tick joins the same append.
    queueMicrotask(() => {
      this.#kickScheduled = false;
      if (!this.#running) this.#pumpDone = this.#pump();
    });
  }

  /** The writer loop; the only place that writes, syncs or compacts. */
  async #pump(): Promise<void> {
    this.#running = true;
    try {
      while ((this.#phase === 'open' || this.#phase === 'closing') && this.#fault === null) {
        if (this.#compactWanted !== null) {
          await this.#runCompaction(this.#compactWanted);
        } else if (this.#pending.length > 0) {
          await this.#writePending();
        } else if (this.#syncWanted) {
          this.#syncWanted = false;
          if (this.#writtenSeq > this.#durableSeq) {
            const seq = this.#writtenSeq;
            this.#syncs++;
            await this.#backend.sync();
            this.#durableSeq = seq;
          }
          this.#settle();
        } else {
          break;
        }
      }
    } catch (error) {
      this.#setFault(ioError(this.path, 'writing failed', error));
    } finally {
      this.#running = false;
    }
  }

  async #writePending(): Promise<void> {
    let count = 0;
    let chars = 0;
    while (count < this.#pending.length && (count === 0 || chars < MAX_APPEND_CHARS)) chars += (this.#pending[count++] as string).length;
    const lines = count === this.#pending.length ? this.#pending : this.#pending.slice(0, count);
    const durable = this.options.durability === 'fsync';
    await this.#backend.append(lines.join(''), durable);
    this.#pending.splice(0, count);
    this.#writes++;
    this.#appended += count;
    this.#logLines += count;
    this.#writtenSeq += count;
    if (durable) this.#durableSeq = this.#writtenSeq;
    else if (this.options.durability === 'batch') this.#armBatchTimer();
    this.#settle();
    if (this.#policy.due(this.#backend.size)) {
      const live = estimateLiveBytes(this.#model, this.#backend.size, this.#logLines);
      if (this.#policy.confirm(this.#backend.size, live) && this.#compactWanted === null) this.#compactWanted = 'auto';
    }
  }

  /** Inside the pump. A failure before the commit leaves the old log usable; after it, the store is faulted. */
  async #runCompaction(reason: CompactionReport['reason']): Promise<void> {
    this.#compactWanted = null;
    const waiters = this.#compactWaiters;
    this.#compactWaiters = [];
    try {
      await this.#snapshot(reason);
    } catch (error) {
      const failure = ioError(this.path, 'compaction failed', error);
      for (const waiter of waiters) waiter.reject(failure);
      if (!this.#backend.appendable) throw failure;
      this.#policy.backoff(this.#backend.size);
      this.#emitError(failure);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }

  /** Writes a snapshot of the model; every update applied so far is then durable. */
  async #snapshot(reason: CompactionReport['reason']): Promise<void> {
    const started = Date.now();
    const before = this.#backend.size;
    const seq = this.#appliedSeq;
    const covered = this.#pending.length;
    const snapshot = createSnapshot(this.#model);
    await this.#backend.replace(snapshot);
    this.#pending.splice(0, covered);
    this.#writtenSeq = seq;
    this.#durableSeq = seq;
    this.#logLines = snapshot.lines;
    this.#compactions++;
    this.#policy.reset(this.#backend.size);
    this.#settle();
    const report: CompactionReport = {
      path: this.path,
      bytesBefore: before,
      bytesAfter: this.#backend.size,
      updates: snapshot.updates,
      durationMs: Date.now() - started,
      reason,
    };
    this.emit('compacted', report);
  }

  /** Out of a fault: a complete snapshot replaces the log whose state is unknown. */
  #recover(): Promise<void> {
    if (this.#recovering !== null) return this.#recovering;
    this.#pending = [];
    this.#recovering = (async () => {
      // The pump is idle: it stops synchronously when it sets the fault, and does not run while
      // the fault is set, so the snapshot cannot race an append.
      await this.#pumpDone;
      try {
        await this.#snapshot('recovery');
      } catch (error) {
        this.#pending = [];
        throw ioError(this.path, 'recovery failed: the snapshot could not be written', error);
      }
      this.#fault = null;
      this.#kick();
    })().finally(() => {
      this.#recovering = null;
    });
    return this.#recovering;
  }

  #armBatchTimer(): void {
    if (this.#batchTimer !== undefined) return;
    this.#batchTimer = setTimeout(() => {
      this.#batchTimer = undefined;
      this.#syncWanted = true;
      this.#kick();
    }, this.options.batchIntervalMs);
    // An unsynced write is already in the operating system; it must not keep the process alive.
    (this.#batchTimer as { unref?: () => void }).unref?.();
  }

  #settle(): void {
    if (this.#waiters.length === 0) return;
    const durable = this.#durableSeq;
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.seq <= durable) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  #setFault(error: StoreError): void {
    this.#fault = error;
    this.#pending = [];
    this.#settle();
    this.#rejectAll(error);
    this.#emitError(error);
  }

  #rejectAll(error: StoreError): void {
    const waiters = [...this.#waiters, ...this.#compactWaiters];
    this.#waiters = [];
    this.#compactWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  #emitError(error: StoreError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/** Whether a model holds any update (its clock has an entry). */
function hasUpdates(model: Scuttlebutt): boolean {
  for (const _source in model.sources) return true;
  return false;
}
