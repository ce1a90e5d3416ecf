/**
 * @module models/_tombstones
 * Collection of deletions (tombstones) after a grace period, and the bookkeeping that keeps it
 * safe: what was collected, so that a peer that may still hold the deleted data gets a reset
 * (a full snapshot) instead of an incremental history it would use to bring the data back.
 *
 * Why a grace period and not "once every known peer has it": that is not enough. A write older
 * than the deletion may still be on its way from a source we have not heard from yet (or through
 * a slow path); a replica that collected would take it, one that still holds the tombstone would
 * refuse it, and the two would differ for good (the property tests found this when collection
 * also ran as soon as every known peer had a deletion). Collecting only after a grace period
 * makes every replica decide alike, except for a write that arrives later than the grace period
 * (as Cassandra's `gc_grace_seconds`); a replica away longer than that gets a reset on return.
 *
 * Used by `Model`, `RArray`/`Text`, `Doc` and `AppendOnly`; not exported from the package.
 */
import { assertDuration } from '../protocol/_assert.js';
import type { ResetCollector } from '../protocol/session.js';
import type { Clock, Update } from '../protocol/update.js';
import { createClock } from '../protocol/update.js';

/** A deletion as the collector sees it: the stamp of the update that deleted. */
export interface Stamped {
  readonly ts: number;
  readonly source: string;
}

/** The option of every model that replicates deletions. */
export interface TombstoneOptions {
  /**
   * How long a deletion is kept, in ms on the model clock, before it may be collected (default
   * `Infinity`: kept forever, as the original). Choose it longer than a deletion takes to reach
   * every replica that stays in touch. With a finite value, streams announce the reset
   * extension, and a peer that connects with a clock older than a collected deletion gets a full
   * snapshot, so it drops the deleted data instead of bringing it back. Set it on every replica;
   * an original peer cannot take a reset.
   */
  tombstoneTtlMs?: number;
}

/**
 * The `tombstoneTtlMs` of a model's options (an id string has none).
 * @throws RangeError for a negative or NaN duration
 */
export function tombstoneTtlOf(options: string | TombstoneOptions | undefined | null): number {
  const ttl = typeof options === 'object' && options !== null ? options.tombstoneTtlMs : undefined;
  return assertDuration('tombstoneTtlMs', ttl ?? Number.POSITIVE_INFINITY);
}

/** How often the queue is compacted: once this many collected slots lead it. */
const COMPACT_AFTER = 1024;

/**
 * Tombstones in the order they were made, collected once older than `ttlMs`.
 *
 * @example
 * ```ts
 * const tombstones = new TombstoneCollector<Entry>(60_000, Date.now, (entry) => store.delete(entry.key))
 * tombstones.add(entry)          // when a deletion is applied
 * tombstones.collect()           // drops the ones older than a minute
 * ```
 */
export class TombstoneCollector<T extends Stamped> {
  #queue: T[] = [];
  #head = 0;
  /**
   * Per source, the newest stamp of a deletion collected here, or by a peer whose reset we took
   * (a peer older than that may hold what was deleted, and gets a reset from us too).
   */
  readonly collected: Clock = createClock();
  /** Called (once per collection or reset) when {@link collected} grew; the model sets it. */
  onCollected: (() => void) | null = null;

  /**
   * @param ttlMs - the grace period; `Infinity` keeps every tombstone (and then the model takes
   *   no part in resets)
   * @param now - the model's clock, in ms
   * @param drop - forgets one tombstone if it still is one (it may have been written again since
   *   it was queued); returns whether it did
   */
  constructor(
    readonly ttlMs: number,
    now: () => number,
    drop: (tombstone: T) => boolean,
  ) {
    this.#now = now;
    this.#drop = drop;
  }

  readonly #now: () => number;
  readonly #drop: (tombstone: T) => boolean;

  /** Whether tombstones are ever collected. */
  get enabled(): boolean {
    return this.ttlMs !== Number.POSITIVE_INFINITY;
  }

  /** Number of tombstones queued (some may have been written again since). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Queues a deletion just applied. */
  add(tombstone: T): void {
    if (this.enabled) this.#queue.push(tombstone);
  }

  /**
   * Collects when the oldest queued tombstone has expired: O(1) when none has, so a model can
   * call it after every deletion and keep its memory bounded without a timer.
   */
  tick(): void {
    const first = this.#queue[this.#head];
    if (first === undefined) return;
    const nowMs = this.#now();
    if (first.ts <= nowMs - this.ttlMs) this.collect(nowMs);
  }

  /**
   * Drops the tombstones older than the grace period. The queue is in the order deletions were
   * applied, which is nearly timestamp order; a late, older one waits behind a newer one, which
   * only keeps it longer.
   * @returns how many were dropped
   */
  collect(nowMs: number = this.#now()): number {
    if (!this.enabled) return 0;
    const oldest = nowMs - this.ttlMs;
    const queue = this.#queue;
    let dropped = 0;
    while (this.#head < queue.length) {
      const tombstone = queue[this.#head] as T;
      if (tombstone.ts > oldest) break;
      this.#head++;
      if (!this.#drop(tombstone)) continue;
      this.#note(tombstone.source, tombstone.ts);
      dropped++;
    }
    if (this.#head > COMPACT_AFTER && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    if (dropped > 0) this.onCollected?.();
    return dropped;
  }

  /** Takes in what a peer that sent us a reset had collected (see {@link collected}). */
  learn(collected: Readonly<Clock>): void {
    let grew = false;
    for (const source in collected) grew = this.#note(source, collected[source] as number) || grew;
    if (grew) this.onCollected?.();
  }

  /** Whether a peer with this clock may hold something deleted whose tombstone is gone. */
  needsResetFor(peerClock: Readonly<Clock>): boolean {
    for (const source in this.collected) {
      if ((peerClock[source] ?? 0) < (this.collected[source] as number)) return true;
    }
    return false;
  }

  #note(source: string, ts: number): boolean {
    const seen = this.collected[source];
    if (seen !== undefined && seen >= ts) return false;
    this.collected[source] = ts;
    return true;
  }
}

/** How a model takes a reset snapshot: what identifies its data, and how to drop some. */
export interface KeyedResetTarget {
  /** The identities (keys, position keys, row fields, item ids) an update of the snapshot carries. */
  identitiesOf(update: Update): Iterable<string>;
  /** What this replica holds: each identity with the stamp of the write it holds. */
  held(): Iterable<readonly [identity: string, stamp: Stamped]>;
  /** Drops what an identity holds here (and tells listeners). */
  dropIdentity(identity: string): void;
}

/**
 * The receiving side of a reset, for models whose data is a set of identities each held by one
 * write: once the snapshot is complete, every identity the sender did not send, held by a write
 * the sender had seen (its clock covers it), was deleted there and the deletion collected, so
 * it is dropped here too. What the sender had not seen is kept: it is news to the sender, and
 * goes to it as usual.
 */
export function keyedReset(senderClock: Readonly<Clock>, target: KeyedResetTarget): ResetCollector {
  const sent = new Set<string>();
  return {
    note: (update) => {
      for (const identity of target.identitiesOf(update)) sent.add(identity);
    },
    finish: () => {
      const stale: string[] = [];
      for (const [identity, stamp] of target.held()) {
        if (!sent.has(identity) && stamp.ts <= (senderClock[stamp.source] ?? 0)) stale.push(identity);
      }
      for (const identity of stale) target.dropIdentity(identity);
    },
  };
}
