/**
 * @module persist/compaction
 * What a compaction writes and when it runs. Platform-free: the file store writes the snapshot
 * to a temporary file and renames it over the log (`file-replace.ts`), the browser stores swap
 * it in within one transaction.
 *
 * Theory of operation. A snapshot is exactly what `createReadStream({ tail: false })` sends: the
 * header `{"id","clock"}`, every update of `history()` (ordered by timestamp, then source), and
 * `"SYNC"`. So it keeps what the model's history keeps (bounded `Events` stay bounded on disk),
 * and the original's `createWriteStream()` reads it. The update lines appended after it are the
 * read stream's live tail.
 *
 * The trigger compares the log with the live state. Measuring the live state costs a
 * `history()` call, so it is only measured when the log has outgrown `factor ×` the last
 * estimate; if the log is still within the factor, the estimate is raised. Either way the next
 * measurement waits for the log to grow by a constant factor, which keeps the cost amortised
 * O(1) per appended update even when the live state grows as fast as the log (an unbounded
 * `Events`).
 */
import { encodeLine } from '../protocol/codec.js';
import { copyClock, createClock, type Update } from '../protocol/update.js';
import type { Scuttlebutt } from '../scuttlebutt.js';

/** Characters per snapshot chunk handed to the writer: 1 Mi. */
const CHUNK_CHARS = 1024 * 1024;

/** A snapshot of a model, captured at one instant, encoded lazily chunk by chunk. */
export interface Snapshot {
  /** Updates in the snapshot (counted as {@link chunks} is consumed). */
  readonly updates: number;
  /** Lines in the snapshot, header and `"SYNC"` included (counted as {@link chunks} is consumed). */
  readonly lines: number;
  /** The encoded snapshot, in chunks of whole lines (about 1 Mi characters each). */
  chunks(): Iterable<string>;
}

/**
 * Captures a snapshot of `model` now: its id, its clock and its `history()`.
 * @param model - any model
 * @returns the snapshot; later updates to the model do not change it
 * @example
 * ```ts
 * const text = [...createSnapshot(model).chunks()].join('') // header, history, "SYNC"
 * ```
 */
export function createSnapshot(model: Scuttlebutt): Snapshot {
  const collected = model.collectedHorizon;
  const clock = copyClock(model.sources);
  // A model that collects deletions also stores what it collected: after a restart it must still
  // reset a peer that comes back holding what was deleted (see Scuttlebutt.restoreHorizon).
  const header = encodeLine(collected === null ? { id: model.id, clock } : { id: model.id, clock, collected: copyClock(collected) });
  // What a stream replays to a peer with an empty clock: history(), but produced lazily by the
  // built-in models, so a snapshot of a million updates never holds a million new arrays at once.
  // Their first step sorts the live entries (which never change) right now: the snapshot is of
  // this instant even though it is encoded while the model goes on.
  const iterator = model.replayFor(createClock())[Symbol.iterator]();
  let step = iterator.next();
  let updates = 0;
  return {
    get updates(): number {
      return updates;
    },
    get lines(): number {
      return updates + 2;
    },
    *chunks(): Iterable<string> {
      let chunk = header;
      for (; step.done !== true; step = iterator.next()) {
        chunk += encodeLine(step.value as Update);
        updates++;
        if (chunk.length >= CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
      }
      yield `${chunk}${encodeLine('SYNC')}`;
    },
  };
}

/**
 * Decides when the log has outgrown the live state by `factor`.
 *
 * @example
 * ```ts
 * const policy = new CompactionPolicy(4, 1 << 20)
 * if (policy.due(logBytes) && policy.confirm(logBytes, liveBytes)) await store.compact()
 * ```
 */
export class CompactionPolicy {
  readonly factor: number;
  readonly minBytes: number;
  /** Estimated size of the live state, in the log's units. */
  #live = 0;

  /**
   * @param factor - compact when the log exceeds `factor ×` the live state (`Infinity`: never)
   * @param minBytes - never below this log size
   */
  constructor(factor: number, minBytes: number) {
    this.factor = factor;
    this.minBytes = minBytes;
  }

  /** The log was just rewritten (or loaded) and its live part measured. */
  reset(liveBytes: number): void {
    this.#live = liveBytes;
  }

  /** Cheap check after each append: is it time to measure the live state? */
  due(logBytes: number): boolean {
    return logBytes > this.factor * Math.max(this.#live, this.minBytes);
  }

  /**
   * With the live state measured: whether to compact. When not, the estimate is raised so the
   * next measurement waits for the log to grow by the factor again.
   */
  confirm(logBytes: number, liveBytes: number): boolean {
    if (logBytes > this.factor * Math.max(liveBytes, this.minBytes)) return true;
    this.#live = Math.max(liveBytes, logBytes / this.factor);
    return false;
  }

  /** A compaction failed (the old log is intact): wait until the log doubles before trying again. */
  backoff(logBytes: number): void {
    this.#live = Math.max(this.#live, logBytes * (2 / this.factor));
  }
}

/**
 * Estimates the size of the live state from the number of live updates and the average line
 * of the log (a compaction would write about this much).
 * @param model - the model
 * @param logBytes - size of the log
 * @param logLines - lines in the log
 */
export function estimateLiveBytes(model: Scuttlebutt, logBytes: number, logLines: number): number {
  const live = model.history().length;
  return logLines > 0 ? Math.ceil((live * logBytes) / logLines) : 0;
}
