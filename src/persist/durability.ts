/**
 * @module persist/durability
 * The three durability modes and the options shared by every store (file, IndexedDB,
 * localStorage), validated once, eagerly, and frozen.
 *
 * What each mode promises is about power loss and kernel crashes. A killed process (kill -9,
 * an uncaught exception) loses nothing that was handed to the operating system, and every mode
 * hands each update to it as soon as the previous write returned. `flush()` makes everything
 * applied before it durable in every mode.
 *
 * | mode      | an update reaches stable storage          | lost on power loss                 |
 * |-----------|-------------------------------------------|------------------------------------|
 * | `'fsync'` | with its own write (group commit)          | only updates not yet written       |
 * | `'batch'` | within `batchIntervalMs` of its write      | at most the last `batchIntervalMs` |
 * | `'none'`  | at `flush()`, `close()` or compaction      | everything since the last flush    |
 */
import { assertDuration, assertLimit } from '../protocol/_assert.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../protocol/limits.js';

/** When appended updates are forced to stable storage (fsync). */
export type Durability = 'fsync' | 'batch' | 'none';

/** The modes, for validation and docs. */
export const DURABILITY_MODES: readonly Durability[] = Object.freeze(['fsync', 'batch', 'none']);

/**
 * Default mode: `'fsync'`. A store a user can trust with one line: each write is fsync'd before
 * the next one starts; concurrent updates share one write and one fsync (group commit), so the
 * cost is one fsync per burst, not per update.
 */
export const DEFAULT_DURABILITY: Durability = 'fsync';

/**
 * How often `'batch'` mode fsyncs written updates: 200 ms. Redis `appendfsync everysec` and the
 * PostgreSQL `wal_writer_delay` (200 ms) bound the loss window the same way.
 */
export const DEFAULT_BATCH_INTERVAL_MS = 200;

/**
 * Compact when the log is this many times the live state: 4. Each update is then rewritten at
 * most about 1/(4-1) times on average (amortised), and the log never exceeds ~4× the live state
 * (plus `compactMinBytes`). LevelDB and Bitcask trigger merges at similar space amplification.
 */
export const DEFAULT_COMPACT_FACTOR = 4;

/** No automatic compaction below this log size: 1 MiB. Rewriting tiny logs costs more fsyncs than it saves. */
export const DEFAULT_COMPACT_MIN_BYTES = 1024 * 1024;

/** Options every store takes. */
export interface StoreOptions {
  /** `'fsync'` (default), `'batch'` or `'none'`; see the module table. */
  durability?: Durability;
  /** `'batch'` mode: fsync written updates this often, in ms (default 200). */
  batchIntervalMs?: number;
  /** Compact when the log is this many times the live state (default 4; `Infinity`: only on `compact()`). */
  compactFactor?: number;
  /** Never compact automatically below this log size in bytes (default 1 MiB). */
  compactMinBytes?: number;
  /**
   * Longest line loaded, in UTF-8 bytes (default 1 MiB, the codec's limit). A longer line makes
   * the load fail with `ERR_SB_STORE_LINE_TOO_LARGE` rather than drop data: raise it to load.
   */
  maxMessageBytes?: number;
}

/** The validated options. */
export interface ResolvedStoreOptions {
  readonly durability: Durability;
  readonly batchIntervalMs: number;
  readonly compactFactor: number;
  readonly compactMinBytes: number;
  readonly maxMessageBytes: number;
}

/**
 * Validates and freezes store options.
 * @param options - the caller's options
 * @returns every option with its default filled in
 * @throws TypeError or RangeError (code `ERR_SB_INVALID_ARGUMENT`) for a wrong option
 * @example
 * ```ts
 * resolveStoreOptions({ durability: 'batch' }).batchIntervalMs // 200
 * ```
 */
export function resolveStoreOptions(options: StoreOptions = {}): ResolvedStoreOptions {
  if (typeof options !== 'object' || options === null) throw argumentError('type', `"options" expected object, got ${typeof options}`);
  const durability = options.durability ?? DEFAULT_DURABILITY;
  if (!DURABILITY_MODES.includes(durability)) {
    throw argumentError('range', `"durability" expected 'fsync', 'batch' or 'none', got ${String(durability)}`);
  }
  const batchIntervalMs = assertDuration('batchIntervalMs', options.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS);
  if (batchIntervalMs === Number.POSITIVE_INFINITY) throw argumentError('range', '"batchIntervalMs" expected a finite number');
  const compactFactor = options.compactFactor ?? DEFAULT_COMPACT_FACTOR;
  if (typeof compactFactor !== 'number' || Number.isNaN(compactFactor)) {
    throw argumentError('type', `"compactFactor" expected number, got ${typeof compactFactor}`);
  }
  if (!(compactFactor > 1)) throw argumentError('range', `"compactFactor" expected number > 1 or Infinity, got ${compactFactor}`);
  const compactMinBytes = assertDuration('compactMinBytes', options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES);
  const maxMessageBytes = assertLimit('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  return Object.freeze({ durability, batchIntervalMs, compactFactor, compactMinBytes, maxMessageBytes });
}

function argumentError(kind: 'type' | 'range', message: string): Error {
  const err = kind === 'type' ? new TypeError(message) : new RangeError(message);
  (err as Error & { code: string }).code = 'ERR_SB_INVALID_ARGUMENT';
  return err;
}
