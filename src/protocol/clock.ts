/**
 * @module clock
 * A hybrid logical clock that keeps the original wire format: a float of milliseconds.
 *
 * Theory of operation: every issued timestamp is `max(now, last + ε)`, where `last` is the greatest
 * timestamp this clock issued or observed. So timestamps are at least wall-clock time, strictly
 * increase even when the wall clock steps back (the original then silently dropped local writes,
 * bug T1), and a write made after seeing a remote update sorts after it (causality). Remote
 * timestamps more than `maxSkewMs` ahead of our wall clock are refused, so one fast or forged clock
 * cannot win every last-write-wins race or block its source forever (#46, T2).
 *
 * At 1.7e12 the spacing of doubles is 2^-12 ms, so ε is 0.001 ms rounded up to the next
 * representable double when needed; time is passed in, never read (sans-IO).
 */

const scratch = new Float64Array(1);
const scratchBits = new BigUint64Array(scratch.buffer);

/** The smallest double greater than `x` (for positive finite `x`). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  scratch[0] = x;
  scratchBits[0] = (scratchBits[0] as bigint) + 1n;
  return scratch[0] as number;
}

/** The step between two timestamps issued in the same millisecond. */
const STEP_MS = 0.001;

/**
 * Hybrid logical clock over float milliseconds.
 *
 * @example
 * ```ts
 * const clock = new HybridClock(60_000)
 * const a = clock.next(Date.now())
 * const b = clock.next(Date.now()) // b > a, even within one millisecond
 * ```
 */
export class HybridClock {
  #last = 0;
  readonly maxSkewMs: number;

  /** @param maxSkewMs - how far ahead of `now` an observed timestamp may be */
  constructor(maxSkewMs: number) {
    this.maxSkewMs = maxSkewMs;
  }

  /** The greatest timestamp issued or observed so far (0 at first). */
  get last(): number {
    return this.#last;
  }

  /**
   * Issues a timestamp strictly greater than every one issued or observed before.
   * @param nowMs - the current wall-clock time in ms
   * @returns the new timestamp
   */
  next(nowMs: number): number {
    const last = this.#last;
    let ts = nowMs;
    if (!(ts > last)) {
      ts = last + STEP_MS;
      if (!(ts > last)) ts = nextUp(last);
    }
    this.#last = ts;
    return ts;
  }

  /**
   * Whether a remote timestamp is acceptable: not further than `maxSkewMs` ahead of `nowMs`.
   * Does not move the clock; call {@link observe} once the update is verified and applied.
   */
  accepts(ts: number, nowMs: number): boolean {
    return ts <= nowMs + this.maxSkewMs;
  }

  /** Moves the clock forward to `ts` if it is ahead (a verified remote timestamp). */
  observe(ts: number): void {
    if (ts > this.#last) this.#last = ts;
  }
}
