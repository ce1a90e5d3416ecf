/**
 * @module net/backoff
 * The reconnect policy: exponential backoff with jitter. The n-th delay is drawn uniformly from
 * `[d/2, d]` where `d = min(maxDelayMs, initialDelayMs * 2^n)` ("equal jitter", AWS Architecture
 * Blog, "Exponential Backoff And Jitter", 2015): spread out, so that a thousand clients of a hub
 * that restarts do not all come back in the same millisecond, yet never shorter than half the
 * nominal delay.
 */
import { DEFAULT_RECONNECT_INITIAL_DELAY_MS, DEFAULT_RECONNECT_MAX_DELAY_MS } from './limits.js';

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First nominal delay in ms (default 250). */
  readonly initialDelayMs?: number;
  /** Longest nominal delay in ms (default 30 000). */
  readonly maxDelayMs?: number;
  /** A source of uniform numbers in [0, 1) (default `Math.random`); for tests. */
  readonly random?: () => number;
}

/**
 * Successive reconnect delays.
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ initialDelayMs: 100 })
 * backoff.next() // 50..100
 * backoff.next() // 100..200
 * backoff.reset() // after a successful sync
 * ```
 */
export class Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly #random: () => number;
  #attempt = 0;

  /**
   * @param options - delays and randomness
   * @throws RangeError when a delay is not a finite number > 0, or the maximum is below the first
   */
  constructor(options: BackoffOptions = {}) {
    this.initialDelayMs = positive('initialDelayMs', options.initialDelayMs ?? DEFAULT_RECONNECT_INITIAL_DELAY_MS);
    this.maxDelayMs = positive('maxDelayMs', options.maxDelayMs ?? Math.max(DEFAULT_RECONNECT_MAX_DELAY_MS, this.initialDelayMs));
    if (this.maxDelayMs < this.initialDelayMs) {
      throw new RangeError(`"maxDelayMs" expected >= initialDelayMs (${this.initialDelayMs}), got ${this.maxDelayMs}`);
    }
    this.#random = options.random ?? Math.random;
  }

  /** How many delays were handed out since the last {@link reset}. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The next delay in ms. */
  next(): number {
    const nominal = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(this.#attempt, 52));
    this.#attempt++;
    return Math.round(nominal / 2 + this.#random() * (nominal / 2));
  }

  /** Starts over from the first delay (call once a connection has synced). */
  reset(): void {
    this.#attempt = 0;
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`"${name}" expected a finite number > 0, got ${String(value)}`);
  }
  return value;
}
