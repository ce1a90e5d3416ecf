/**
 * @module stats
 * Summaries of raw samples: median, min–max, ratios within one process, and the log-log slope
 * between sizes (1 means linear, 2 quadratic, 0 flat).
 */
import type { Unit } from './harness.ts';

/** Median, min and max of some samples. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Summarises samples; `undefined` for none. */
export function summarize(samples: readonly number[] | undefined): Summary | undefined {
  if (samples === undefined || samples.length === 0) return undefined;
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** Whether the unit is a cost per item (the total cost is value × size). */
export const isPerItem = (unit: Unit): boolean => unit === 'B/key' || unit === 'B/event' || unit === 'B/update';

/**
 * The log-log slope of total cost between two sizes. Per-item units are multiplied back by the
 * size; `ms/call` is the cost of one call at that store size and is taken as is.
 */
export function slope(unit: Unit, size1: number, value1: number, size2: number, value2: number): number {
  const total1 = isPerItem(unit) ? value1 * size1 : value1;
  const total2 = isPerItem(unit) ? value2 * size2 : value2;
  return Math.log(total2 / total1) / Math.log(size2 / size1);
}
