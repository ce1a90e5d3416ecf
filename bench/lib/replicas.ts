/**
 * @module replicas
 * One face for our `Model` and the original's `scuttlebutt/model`, so a workload is written once
 * for both, plus the stream helpers workloads share (connect a pair, wait for `sync`).
 *
 * The original is loaded with `createRequire`, exactly as its users load it.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Events, Model } from '../../src/index.ts';
import { benchValue, expectCount, expectValue, keyOf } from './data.ts';
import type { Measurement, Subject, Variant } from './harness.ts';

const require = createRequire(import.meta.url);

/** What a workload needs of a replication stream (ours is a Duplex, the original a classic Stream). */
export interface StreamLike extends EventEmitter {
  pipe<T extends StreamLike>(destination: T): T;
  destroy(): void;
}

/** What a workload needs of a model, ours or the original's. */
export interface ModelLike extends EventEmitter {
  readonly id: string;
  readonly sources: Record<string, number>;
  set(key: string, value: unknown): unknown;
  get(key: string): unknown;
  keys(): string[];
  history(sources?: Record<string, number>): unknown[];
  createStream(options?: Record<string, unknown>): StreamLike;
  dispose(): void;
}

/** What a workload needs of an Events model. */
export interface EventsLike extends EventEmitter {
  history(): unknown[];
}

/** A model implementation: ours or the original. */
export interface Impl {
  readonly name: 'ours' | 'original';
  createModel(): ModelLike;
  createEvents(): EventsLike;
  /** Takes one update from outside (a peer): ours `receiveUpdate`, the original `_update`. */
  receive(model: ModelLike, update: unknown): void;
}

const OriginalModel = require('scuttlebutt/model') as new () => ModelLike;
const OriginalEvents = require('scuttlebutt/events') as new () => EventsLike;

/** scuttlebutt-ts. */
export const OURS: Impl = {
  name: 'ours',
  createModel: () => new Model() as unknown as ModelLike,
  createEvents: () => new Events() as unknown as EventsLike,
  receive: (model, update) => {
    (model as unknown as Model).receiveUpdate(update as Parameters<Model['receiveUpdate']>[0]);
  },
};

/** scuttlebutt@5.6.15. */
export const ORIGINAL: Impl = {
  name: 'original',
  createModel: () => new OriginalModel(),
  createEvents: () => new OriginalEvents(),
  receive: (model, update) => {
    (model as unknown as { _update(u: unknown): boolean })._update(update);
  },
};

/** Sets `key_i` for `i` in `[from, to)`. */
export function fill(model: ModelLike, to: number, from = 0): void {
  for (let i = from; i < to; i++) model.set(keyOf(i), benchValue(i));
}

/** Resolves when `emitter` emits `event`. */
export function eventOnce(emitter: EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

/** A connected pair of streams and a promise of both `sync` events. */
export interface Link {
  readonly a: StreamLike;
  readonly b: StreamLike;
  readonly synced: Promise<void>;
}

/** `const s = a.createStream(); s.pipe(b.createStream()).pipe(s)`, listening for `sync` first. */
export function connect(a: ModelLike, b: ModelLike): Link {
  const sa = a.createStream();
  const sb = b.createStream();
  const synced = Promise.all([eventOnce(sa, 'sync'), eventOnce(sb, 'sync')]).then(() => undefined);
  sa.pipe(sb).pipe(sa);
  return { a: sa, b: sb, synced };
}

/** Destroys streams and lets their `close` handlers run (they unsubscribe from the model). */
export async function disconnect(...streams: StreamLike[]): Promise<void> {
  for (const stream of streams) stream.destroy();
  await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `model` has `key_i` (at once if it already has it). */
export function whenHas(model: ModelLike, i: number): Promise<void> {
  if (model.get(keyOf(i)) !== undefined) return Promise.resolve();
  return eventOnce(model, `change:${keyOf(i)}`);
}

/** What a live-sets variant measures besides the time: set up on the synced link, read after the run. */
export interface LinkProbe {
  /** Lets pending work settle before the run and after it (a probe that counts late bytes). */
  settle?(): Promise<void>;
  /** Starts watching a synced link; returns what the run reports. */
  watch(link: Link): (m: number) => Measurement;
}

/**
 * A and B connected and synced; M `set`s on A in a loop without awaiting, until B has the last.
 * Timed, or measured by `probe`. Checked: B holds all M keys and the last value.
 */
export function liveSetsVariant(impl: Impl, probe?: LinkProbe): Variant {
  return {
    name: impl.name,
    open(m: number): Subject {
      return {
        async prepare() {
          const a = impl.createModel();
          const b = impl.createModel();
          const link = connect(a, b);
          await link.synced;
          await probe?.settle?.();
          const report = probe?.watch(link);
          return {
            async run() {
              for (let i = 0; i < m; i++) a.set(keyOf(i), benchValue(i));
              await whenHas(b, m - 1);
              await probe?.settle?.();
              return report?.(m);
            },
            check() {
              expectCount(b.keys().length, m, `${impl.name} B`);
              expectValue(b.get(keyOf(m - 1)), m - 1, `${impl.name} B`);
            },
            done: () => disconnect(link.a, link.b),
          };
        },
      };
    },
  };
}
