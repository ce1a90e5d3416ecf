/**
 * @module test/helpers/interop-original
 * Loads the original `scuttlebutt@5.6.15` (CommonJS, untyped) for the interop suite, with the
 * small typed surface the tests use, and controls its wall clock.
 *
 * The original takes its timestamps from `monotonic-timestamp`, which reads `Date.now()` and
 * keeps module-global state (the last millisecond and a counter). Deterministic timestamps are
 * obtained by stubbing `Date.now` around the original's own calls only ({@link withDateNow}),
 * never around socket I/O, and by resetting that state first ({@link resetOriginalTimestamp}).
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A stream of the original: an old-style `Stream` (json wrapper: emits strings, one line each). */
export interface OriginalStream extends EventEmitter {
  name?: string;
  pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T;
  write(chunk: unknown): unknown;
  end(chunk?: unknown): void;
  destroy(): void;
}

/** The original's stream options (`opts` of `createStream`). */
export interface OriginalStreamOptions {
  readable?: boolean;
  writable?: boolean;
  sendClock?: boolean;
  clock?: boolean;
  tail?: boolean;
  meta?: unknown;
  name?: string;
  wrapper?: 'json' | 'raw';
}

/** The base class surface shared by the original's Model and Events. */
export interface OriginalScuttlebutt extends EventEmitter {
  id: string;
  sources: Record<string, number>;
  createStream(options?: OriginalStreamOptions): OriginalStream;
  createReadStream(options?: OriginalStreamOptions): OriginalStream;
  createWriteStream(options?: OriginalStreamOptions): OriginalStream;
  history(sources?: Record<string, number>): unknown[];
  /** Applies an update as if it came from a stream. */
  _update(update: unknown[]): boolean;
  dispose(): void;
}

/** `require('scuttlebutt/model')` */
export interface OriginalModel extends OriginalScuttlebutt {
  set(key: string, value: unknown): this;
  get(key: string): unknown;
  keys(): string[];
  toJSON(): Record<string, unknown>;
}

/** `require('scuttlebutt/events')`: `emit(name, ...args)` replicates. */
export type OriginalEvents = OriginalScuttlebutt;

export interface Original {
  Model: new (id?: string) => OriginalModel;
  Events: new (id?: string) => OriginalEvents;
  /** The original's `timestamp` (monotonic-timestamp, shared by every original instance). */
  timestamp: () => number;
}

let loaded: Original | undefined;

/** The original package, loaded once per process. */
export function loadOriginal(): Original {
  if (loaded === undefined) {
    const base = require('scuttlebutt') as { timestamp: () => number };
    loaded = {
      Model: require('scuttlebutt/model') as Original['Model'],
      Events: require('scuttlebutt/events') as Original['Events'],
      timestamp: base.timestamp,
    };
  }
  return loaded;
}

/**
 * Runs `fn` with `Date.now()` returning `ms`, then restores it (also when `fn` throws). Keep `fn`
 * synchronous: only the original's `set`/`emit` calls read the clock.
 */
export function withDateNow<T>(ms: number, fn: () => T): T {
  const saved = Date.now;
  Date.now = () => ms;
  try {
    return fn();
  } finally {
    Date.now = saved;
  }
}

/**
 * Makes monotonic-timestamp forget its last millisecond, so the original's next timestamp at a
 * stubbed millisecond is that integer millisecond (and not `ms + k/(k+1000)`).
 */
export function resetOriginalTimestamp(): void {
  withDateNow(1, () => loadOriginal().timestamp());
}

/**
 * Makes monotonic-timestamp believe it already issued a timestamp at `ms`, so the original's next
 * timestamp at `ms` is `ms + 1/1001`. This reproduces a transcript in which two originals shared
 * the module in one process.
 */
export function primeOriginalTimestamp(ms: number): void {
  resetOriginalTimestamp();
  withDateNow(ms, () => loadOriginal().timestamp());
}

/** The original's stream, typed for piping between sockets. */
export function asWire(stream: OriginalStream): NodeJS.ReadableStream & NodeJS.WritableStream {
  return stream as unknown as NodeJS.ReadableStream & NodeJS.WritableStream;
}
