/**
 * @module util
 * The original's `scuttlebutt/util` helpers, kept for code that used them: `createId`,
 * `timestamp`, `filter`, `sort`.
 */

import { HybridClock } from './protocol/clock.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from './protocol/limits.js';
import { type Clock, compareUpdates, isNewerThan, type Update } from './protocol/update.js';

/**
 * A random id: 128 bits of hex from `crypto.getRandomValues` (the original concatenated three
 * `Math.random()` strings, 36–39 characters of guessable hex).
 * @example
 * ```ts
 * createId() // '9F2C…' (32 uppercase hex characters)
 * ```
 */
export function createId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out.toUpperCase();
}

const processClock = new HybridClock(DEFAULT_MAX_CLOCK_SKEW_MS);

/**
 * A timestamp for this process: float milliseconds, at least `Date.now()` and strictly greater
 * than every earlier result, even when the wall clock steps back.
 * @example
 * ```ts
 * timestamp() < timestamp() // always true
 * ```
 */
export function timestamp(): number {
  return processClock.next(Date.now());
}

/**
 * Whether `update` is newer than what `sources` has from its source (the original `filter`).
 * @param update - `[change, ts, source]`
 * @param sources - a vector clock
 */
export function filter(update: Update, sources?: Readonly<Clock> | null): boolean {
  return isNewerThan(update, sources);
}

/**
 * Sorts updates in place by timestamp, then source, and returns the array (the original `sort`).
 * @param history - updates
 */
export function sort<T extends Update>(history: T[]): T[] {
  return history.sort(compareUpdates);
}
