/**
 * @module _sorted-list
 * A sorted list in blocks (an unrolled B-tree of one level), for the live elements of `RArray`,
 * `Text` and `AppendOnly`: insert, remove and position lookups cost O(log n + B) instead of the
 * O(n) of a flat array splice, so a million-element list stays usable (deleting 90% of it one
 * element at a time moves no more than a block each time).
 *
 * Blocks hold at most {@link MAX_BLOCK} items; a full block splits in two, an empty one goes.
 * `starts[i]` is the index of block i's first item, rebuilt lazily from the first changed block.
 */

const MAX_BLOCK = 512;

export class SortedList<T> {
  #blocks: T[][] = [];
  #starts: number[] = [];
  /** Blocks before this one have a correct start. */
  #clean = 0;
  #size = 0;
  readonly #compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  get size(): number {
    return this.#size;
  }

  first(): T | undefined {
    return this.#blocks[0]?.[0];
  }

  last(): T | undefined {
    const block = this.#blocks[this.#blocks.length - 1];
    return block?.[block.length - 1];
  }

  /** The item at an index, or `undefined`. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#size) return undefined;
    const b = this.#blockOfIndex(index);
    return (this.#blocks[b] as T[])[index - (this.#starts[b] as number)];
  }

  /** The index of an item equal to `item`, or -1. */
  indexOf(item: T): number {
    if (this.#size === 0) return -1;
    const b = this.#blockFor(item);
    const block = this.#blocks[b] as T[];
    const i = this.#lower(block, item);
    if (i < block.length && this.#compare(block[i] as T, item) === 0) {
      this.#fix();
      return (this.#starts[b] as number) + i;
    }
    return -1;
  }

  /** Inserts an item at its place (after equal ones). */
  insert(item: T): void {
    if (this.#blocks.length === 0) {
      this.#blocks.push([item]);
      this.#starts.push(0);
      this.#size = 1;
      return;
    }
    const b = this.#blockFor(item);
    const block = this.#blocks[b] as T[];
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compare(block[mid] as T, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === block.length) block.push(item);
    else block.splice(lo, 0, item);
    this.#size++;
    if (block.length > MAX_BLOCK) {
      const half = block.splice(block.length >> 1);
      this.#blocks.splice(b + 1, 0, half);
      this.#starts.splice(b + 1, 0, 0);
    }
    this.#dirty(b + 1);
  }

  /** Removes an item equal to `item`; returns whether one was there. */
  remove(item: T): boolean {
    if (this.#size === 0) return false;
    const b = this.#blockFor(item);
    const block = this.#blocks[b] as T[];
    const i = this.#lower(block, item);
    if (i >= block.length || this.#compare(block[i] as T, item) !== 0) return false;
    block.splice(i, 1);
    this.#size--;
    if (block.length === 0) {
      this.#blocks.splice(b, 1);
      this.#starts.splice(b, 1);
      this.#dirty(b);
    } else this.#dirty(b + 1);
    return true;
  }

  /** Every item, in order. */
  toArray(): T[] {
    return this.#blocks.flat();
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const block of this.#blocks) yield* block;
  }

  #lower(block: T[], item: T): number {
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compare(block[mid] as T, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The block whose range holds `item`: the last block whose first item is <= it (or the first). */
  #blockFor(item: T): number {
    const blocks = this.#blocks;
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#compare((blocks[mid] as T[])[0] as T, item) <= 0) lo = mid;
      else hi = mid - 1;
    }
    // An equal item may end the previous block when the block starts with a duplicate.
    if (lo > 0 && this.#compare((blocks[lo] as T[])[0] as T, item) === 0) {
      const prev = blocks[lo - 1] as T[];
      if (this.#compare(prev[prev.length - 1] as T, item) === 0) return lo - 1;
    }
    return lo;
  }

  #blockOfIndex(index: number): number {
    this.#fix();
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #dirty(from: number): void {
    if (from < this.#clean) this.#clean = Math.max(0, from);
  }

  #fix(): void {
    const blocks = this.#blocks;
    const starts = this.#starts;
    if (this.#clean >= blocks.length) return;
    let i = this.#clean;
    let at = i === 0 ? 0 : (starts[i - 1] as number) + (blocks[i - 1] as T[]).length;
    for (; i < blocks.length; i++) {
      starts[i] = at;
      at += (blocks[i] as T[]).length;
    }
    this.#clean = blocks.length;
  }
}
