/**
 * @module history
 * A per-source index of the live entries of a model, so that `history(clock)` costs
 * O(sources · log n + what the peer lacks) instead of a walk over the whole store (the original
 * walks every key on every handshake).
 *
 * Theory of operation: a source's timestamps strictly increase, so each source keeps an array of
 * its live entries in timestamp order, appended at the end. Removing a superseded entry replaces
 * its slot with its bare timestamp (a "hole"), which keeps the array searchable by binary search
 * without any per-entry bookkeeping; holes are swept out once they are half of the array, so
 * removal is amortised O(log n) and memory stays within 2× the live entries.
 */
import type { Clock } from './update.js';

/** What the index needs to know of an entry. */
export interface IndexedEntry {
  readonly ts: number;
  readonly source: string;
}

interface SourceLog<E> {
  /** Live entries, or the timestamp of a removed one, in timestamp order. */
  slots: (E | number)[];
  holes: number;
}

const tsOf = <E extends IndexedEntry>(slot: E | number): number => (typeof slot === 'number' ? slot : slot.ts);

/** Index of the first slot whose timestamp is greater than `ts`. */
function upperBound<E extends IndexedEntry>(slots: (E | number)[], ts: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tsOf(slots[mid] as E | number) <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Orders entries by timestamp, then source: the order of history on the wire. */
export function compareEntries(a: IndexedEntry, b: IndexedEntry): number {
  return a.ts - b.ts || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
}

/**
 * The live entries of a model, by source, in timestamp order.
 *
 * @example
 * ```ts
 * const index = new HistoryIndex<{ ts: number; source: string }>()
 * index.add({ ts: 1, source: 'A' })
 * index.since({ A: 0 }) // [{ ts: 1, source: 'A' }]
 * ```
 */
export class HistoryIndex<E extends IndexedEntry> {
  readonly #bySource = new Map<string, SourceLog<E>>();
  #lastSource: string | undefined;
  #lastLog: SourceLog<E> | undefined;
  #size = 0;

  /** Number of live entries. */
  get size(): number {
    return this.#size;
  }

  /** Adds an entry; amortised O(1) when it is its source's newest, O(n) otherwise. */
  add(entry: E): void {
    // Consecutive entries usually share a source (a sync, a burst of local writes).
    let log = this.#lastSource === entry.source ? this.#lastLog : this.#bySource.get(entry.source);
    if (log === undefined) {
      log = { slots: [], holes: 0 };
      this.#bySource.set(entry.source, log);
    }
    this.#lastSource = entry.source;
    this.#lastLog = log;
    const slots = log.slots;
    const n = slots.length;
    if (n === 0 || tsOf(slots[n - 1] as E | number) < entry.ts) slots.push(entry);
    else slots.splice(upperBound(slots, entry.ts), 0, entry);
    this.#size++;
  }

  /** Removes an entry that was added before; O(log n) amortised. Returns whether it was found. */
  remove(entry: E): boolean {
    const log = this.#bySource.get(entry.source);
    if (log === undefined) return false;
    const slots = log.slots;
    // The entry sits just before the first slot with a greater ts; equal timestamps are rare
    // (two updates of one source never share one) but tolerated by scanning back.
    let i = upperBound(slots, entry.ts) - 1;
    while (i >= 0 && slots[i] !== entry && tsOf(slots[i] as E | number) === entry.ts) i--;
    if (i < 0 || slots[i] !== entry) return false;
    slots[i] = entry.ts;
    log.holes++;
    this.#size--;
    if (log.holes === slots.length) {
      this.#bySource.delete(entry.source);
      if (this.#lastLog === log) this.#lastLog = this.#lastSource = undefined;
    } else if (log.holes > 32 && log.holes * 2 > slots.length) {
      log.slots = slots.filter((slot) => typeof slot !== 'number');
      log.holes = 0;
    }
    return true;
  }

  /**
   * The live entries newer than `clock` (all of them when a source is missing from it), ordered
   * by timestamp then source.
   * @param clock - a vector clock; `undefined` means "everything"
   */
  since(clock?: Readonly<Clock> | null): E[] {
    const runs: E[][] = [];
    for (const [source, log] of this.#bySource) {
      const seen = clock ? clock[source] : undefined;
      const slots = log.slots;
      const from = seen ? upperBound(slots, seen) : 0;
      if (from >= slots.length) continue;
      const run: E[] = [];
      for (let i = from; i < slots.length; i++) {
        const slot = slots[i] as E | number;
        if (typeof slot !== 'number') run.push(slot);
      }
      if (run.length > 0) runs.push(run);
    }
    if (runs.length === 0) return [];
    if (runs.length === 1) return runs[0] as E[];
    // Each run is sorted, and TimSort merges sorted runs in O(n log runs).
    return runs.flat().sort(compareEntries);
  }

  /** Every live entry, in no particular order. */
  *entries(): IterableIterator<E> {
    for (const log of this.#bySource.values()) {
      for (const slot of log.slots) if (typeof slot !== 'number') yield slot;
    }
  }

  /** Removes everything. */
  clear(): void {
    this.#bySource.clear();
    this.#lastLog = this.#lastSource = undefined;
    this.#size = 0;
  }
}
