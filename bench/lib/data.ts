/**
 * @module data
 * The data every workload uses (keys `key_i`, values `{ i, s: 'value-' + i }`) and the checks
 * that the data arrived.
 */

/** The value stored under `key_i`. */
export interface BenchValue {
  readonly i: number;
  readonly s: string;
}

/** `key_i`. */
export const keyOf = (i: number): string => `key_${i}`;

/** `{ i, s: 'value-' + i }`. */
export const benchValue = (i: number): BenchValue => ({ i, s: `value-${i}` });

/** An update as the wire carries it: `[[key, value], ts, source]`. */
export type BenchUpdate = [change: [string, BenchValue], ts: number, source: string];

/**
 * `count` updates of keys `from … from + count - 1` from one source, with strictly increasing
 * timestamps in the recent past (so every model accepts them).
 */
export function makeUpdates(count: number, source = 'SOURCE', from = 0): BenchUpdate[] {
  const base = Date.now() - 30_000;
  const out: BenchUpdate[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const i = from + k;
    out[k] = [[keyOf(i), benchValue(i)], base + k * 0.01, source];
  }
  return out;
}

/** Throws unless `actual` is the value of `key_i`. */
export function expectValue(actual: unknown, i: number, where: string): void {
  const v = actual as Partial<BenchValue> | null | undefined;
  if (v === null || v === undefined || v.i !== i || v.s !== `value-${i}`) {
    throw new Error(`${where}: key_${i} is ${JSON.stringify(actual)}, expected ${JSON.stringify(benchValue(i))}`);
  }
}

/** Throws unless `actual === expected`. */
export function expectCount(actual: number, expected: number, where: string): void {
  if (actual !== expected) throw new Error(`${where}: ${actual} items, expected ${expected}`);
}
