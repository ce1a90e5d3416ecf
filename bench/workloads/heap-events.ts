/**
 * @module heap-events
 * Heap bytes per event of an `Events` model after M `emit('msg', value)` calls, measured like
 * {@link heapModel}. Floor: an array of the M changes `['msg', value]`.
 */
import { benchValue, expectCount, expectValue } from '../lib/data.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { type EventsLike, type Impl, ORIGINAL, OURS } from '../lib/replicas.ts';
import { heapPerItem } from './heap-model.ts';

function eventsVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    open(m: number): Subject {
      return {
        prepare() {
          let events: EventsLike | undefined;
          return {
            run() {
              const { held, perItem } = heapPerItem(m, () => {
                const e = impl.createEvents();
                for (let i = 0; i < m; i++) e.emit('msg', benchValue(i));
                return e;
              });
              events = held;
              return { value: perItem };
            },
            check() {
              const history = (events as EventsLike).history() as [unknown[], number, string][];
              expectCount(history.length, m, impl.name);
              expectValue(history[m - 1]?.[0][1], m - 1, impl.name);
            },
          };
        },
      };
    },
  };
}

const floor: Variant = {
  name: 'floor',
  open(m: number): Subject {
    return {
      prepare() {
        let log: unknown[][] = [];
        return {
          run() {
            const { held, perItem } = heapPerItem(m, () => {
              const a: unknown[][] = [];
              for (let i = 0; i < m; i++) a.push(['msg', benchValue(i)]);
              return a;
            });
            log = held;
            return { value: perItem };
          },
          check() {
            expectCount(log.length, m, 'floor log');
            expectValue(log[m - 1]?.[1], m - 1, 'floor log');
          },
        };
      },
    };
  },
};

export const heapEvents: Workload = {
  id: 'heap-events',
  title: 'Events heap per event',
  unit: 'B/event',
  sizeLabel: 'M',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  variants: [eventsVariant(OURS), eventsVariant(ORIGINAL), floor],
};
