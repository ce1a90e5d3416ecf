/**
 * @module floor
 * The serialisation floor: `JSON.stringify` + `JSON.parse` of the lines a workload puts on the
 * wire, once per link each line crosses. No replication library can send these lines for less
 * (the wire format forces this work); it is a reference column, not a competitor.
 */
import { type BenchUpdate, expectCount, expectValue, makeUpdates } from './data.ts';
import type { Subject, Variant } from './harness.ts';

/** The lines of a workload at one size. */
export interface FloorLines {
  /** The updates (N for a full sync, M for live). */
  readonly updates: BenchUpdate[];
  /** How many links each line crosses (20 for the fan-out). */
  readonly links: number;
}

/**
 * A floor variant whose lines are `count(size)` updates crossing `links` links. With `repeat`,
 * a trial does it `repeat` times and reports the mean time of one (for workloads that do so).
 */
export function floorVariant(count: (size: number) => number, links = 1, repeat = 1): Variant {
  return {
    name: 'floor',
    open(size: number): Subject {
      const lines: FloorLines = { updates: makeUpdates(count(size)), links };
      return {
        prepare() {
          let parsed = 0;
          let last: BenchUpdate | undefined;
          const once = (): void => {
            const updates = lines.updates;
            for (let link = 0; link < lines.links; link++) {
              for (let k = 0; k < updates.length; k++) {
                last = JSON.parse(`${JSON.stringify(updates[k])}\n`) as BenchUpdate;
                parsed++;
              }
            }
          };
          return {
            run() {
              if (repeat === 1) {
                once();
                return undefined;
              }
              const start = performance.now();
              for (let r = 0; r < repeat; r++) once();
              return { value: (performance.now() - start) / repeat };
            },
            check() {
              expectCount(parsed, lines.updates.length * lines.links * repeat, 'floor lines');
              const expected = lines.updates.length - 1;
              expectValue(last?.[0][1], expected, 'floor last line');
            },
          };
        },
      };
    },
  };
}
