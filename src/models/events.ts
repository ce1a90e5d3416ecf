/**
 * @module events
 * `Events`: a reliable, replicated event emitter, wire-compatible with `scuttlebutt/events`.
 * `emit(event, ...args)` becomes the change `[event, ...args]`; every replica calls its
 * listeners once per event, including events emitted while it was disconnected.
 *
 * What it keeps: every event, unless bounded by `maxEvents` (the newest N by arrival) or
 * `maxAgeMs` (events younger than that on the hybrid clock). An event dropped from the log is
 * still counted in the vector clock, so it is never accepted again; a peer that connects later
 * only gets the events still kept.
 * Names: `"__proto__"` is refused. An event named like one of the model's own signals
 * (`_update`, `dispose`, `invalid`, …) can only come from a peer (locally such a name is an
 * ordinary local emit); it is stored and relayed but never fired here, so a peer cannot fake
 * our signals. A remote `error` event with no listener is stored but not thrown (the original
 * crashed).
 * Typed events: `schema` maps event names to a Standard Schema of their argument list (a tuple);
 * a local emit that fails throws, a remote event that fails is refused as `invalid` (counted as
 * seen, never stored, fired or relayed). Events not in the map pass unchecked.
 */

import { createError, LocalProtocolError } from '../errors.js';
import { assertDuration, assertLimit } from '../protocol/_assert.js';
import { HistoryIndex } from '../protocol/history.js';
import { type Clock, isForbiddenName, type Update } from '../protocol/update.js';
import { type ChangeProblem, Scuttlebutt, type ScuttlebuttOptions } from '../scuttlebutt.js';
import { assertSchema, checkSchema, type StandardSchemaV1 } from './_schema.js';

/** An Events change: `[event, ...args]`. */
export type EventsChange = [event: string, ...args: unknown[]];

/** Event names that are signals of the model itself and are never replicated. */
const RESERVED = new Set([
  '_update',
  '_remove',
  '_reset',
  'old_data',
  'unverified_data',
  'invalid',
  'dispose',
  'unstream',
  'unclone',
  'newListener',
  'removeListener',
]);

/** Most arguments one event may carry (they are spread into each listener call). */
export const MAX_EVENT_ARGS = 1024;

/** Argument lists by event name: what `Events<M>` checks and types `emit` with. */
export type EventMap = Record<string, unknown[]>;

/** Per event name, a Standard Schema of its argument list (e.g. `z.tuple([z.string()])`). */
export type EventSchemas<M extends EventMap> = { readonly [K in keyof M]?: StandardSchemaV1<unknown, M[K]> };

/** Options of {@link Events}. */
export interface EventsOptions<M extends EventMap = EventMap> extends ScuttlebuttOptions {
  /**
   * Per event name, a Standard Schema (zod, valibot, arktype…) of its argument list; events not
   * named pass unchecked. Local emits that fail throw, remote ones are refused as `invalid`.
   */
  schema?: EventSchemas<M>;
  /** Keep at most this many events (default `Infinity`). */
  maxEvents?: number;
  /** Keep events at most this old, in ms on the hybrid clock (default `Infinity`). */
  maxAgeMs?: number;
}

interface EventEntry {
  readonly change: EventsChange;
  readonly ts: number;
  readonly source: string;
  readonly extra: unknown[] | undefined;
}

const toUpdate = (entry: EventEntry): Update<EventsChange> => {
  const update: Update<EventsChange> = [entry.change, entry.ts, entry.source];
  if (entry.extra !== undefined) update.push(...entry.extra);
  return update;
};

/**
 * A replicated event emitter.
 *
 * @example
 * ```ts
 * const a = new Events('A'), b = new Events('B')
 * b.on('chat', (text) => console.log(text))
 * a.emit('chat', 'hello') // b logs 'hello' once connected
 *
 * const typed = new Events({ schema: { chat: z.tuple([z.string()]) } })
 * typed.emit('chat', 'hi') // typed; typed.emit('chat', 42) does not compile, and throws
 * ```
 */
export class Events<M extends EventMap = EventMap> extends Scuttlebutt<EventsChange> {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
  readonly #index = new HistoryIndex<EventEntry>();
  /** Kept events in arrival order, for eviction. */
  #arrival: EventEntry[] = [];
  #arrivalHead = 0;
  readonly #schemas = new Map<string, StandardSchemaV1<unknown, unknown>>();
  /** True while `emit` applies arguments it has already checked. */
  #checked = false;

  /**
   * @param options - an id, or model options plus `maxEvents` / `maxAgeMs` / `schema`
   * @throws TypeError for a `schema` entry that is not a Standard Schema v1 validator
   */
  constructor(options?: string | EventsOptions<M>) {
    super(options);
    const opts: EventsOptions<M> = typeof options === 'object' && options !== null ? options : {};
    this.maxEvents = assertLimit('maxEvents', opts.maxEvents ?? Number.POSITIVE_INFINITY);
    this.maxAgeMs = assertDuration('maxAgeMs', opts.maxAgeMs ?? Number.POSITIVE_INFINITY);
    if (opts.schema !== undefined) {
      if (typeof opts.schema !== 'object' || opts.schema === null) throw new TypeError('"schema" expected an object of event schemas');
      for (const name of Object.keys(opts.schema)) {
        const schema = assertSchema<unknown>((opts.schema as Record<string, unknown>)[name]);
        if (schema !== undefined) this.#schemas.set(name, schema);
      }
    }
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    if (!Array.isArray(change) || change.length < 1) return 'an Events change must be [event, ...args]';
    // Arguments are spread into a listener call: a huge list would overflow the stack.
    if (change.length > MAX_EVENT_ARGS + 1) return `an event carries at most ${MAX_EVENT_ARGS} arguments, got ${change.length - 1}`;
    const event = change[0];
    if (typeof event !== 'string') return 'an event name must be a string';
    if (isForbiddenName(event)) return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'an event name must not be "__proto__"' };
    return null;
  }

  /**
   * Emits an event on every replica. Internal names (`_update`, `dispose`, …) and listener
   * bookkeeping events are emitted locally only, as on any EventEmitter.
   * @throws RangeError for `"__proto__"`, LocalProtocolError ERR_SB_INVALID_ARGUMENT for
   *   arguments the event's schema refuses
   */
  override emit<K extends keyof M & string>(event: K, ...args: M[K]): boolean;
  override emit<E extends string | symbol>(event: E extends keyof M ? never : E, ...args: unknown[]): boolean;
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (typeof event !== 'string' || RESERVED.has(event)) return this.emitLocal(event as string, ...args);
    if (isForbiddenName(event)) throw new RangeError('an event name must not be "__proto__"');
    const schema = this.#schemas.size === 0 ? undefined : this.#schemas.get(event);
    if (schema !== undefined) {
      const problem = checkSchema(schema, args);
      if (problem !== null) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', `event "${event}": ${problem}`);
    }
    // Built at its exact size: `[event, ...args]` over-allocates, and the array is kept for the
    // event's lifetime (about 140 bytes per event saved, measured by the heap benchmark).
    const change = new Array<unknown>(args.length + 1) as EventsChange;
    change[0] = event;
    for (let i = 0; i < args.length; i++) change[i + 1] = args[i];
    this.#checked = true;
    try {
      this.localUpdate(change);
    } finally {
      this.#checked = false;
    }
    return true;
  }

  /** Number of events kept. */
  get size(): number {
    return this.#index.size;
  }

  override history(sources?: Readonly<Clock> | null): Update<EventsChange>[] {
    this.#expire();
    return this.#index.since(sources).map(toUpdate);
  }

  protected override *replay(sources: Readonly<Clock>): Iterable<Update> {
    this.#expire();
    for (const entry of this.#index.since(sources)) yield toUpdate(entry);
  }

  override applyUpdate(update: Update<EventsChange>): boolean {
    // Read once and cleared: a listener fired below may apply a remote update, which must be checked.
    const checked = this.#checked;
    this.#checked = false;
    const change = update[0];
    if (this.#schemas.size > 0 && !checked) {
      const schema = this.#schemas.get(change[0]);
      const problem = schema === undefined ? null : checkSchema(schema, change.slice(1));
      if (problem !== null) {
        this.emitLocal('invalid', createError('ERR_SB_INVALID_UPDATE', `event "${change[0]}": ${problem}`, { input: update }), update);
        return false;
      }
    }
    const entry: EventEntry = { change, ts: update[1], source: update[2], extra: update.length > 3 ? update.slice(3) : undefined };
    this.#index.add(entry);
    this.#arrival.push(entry);
    this.#expire();
    const [event, ...args] = change;
    // Stored and relayed (an original peer may use any name), but an event named like one of our
    // signals (`invalid`, `dispose`, …) is never fired locally: a peer must not fake them.
    if (RESERVED.has(event)) return true;
    // A remote 'error' with nobody listening must not throw out of the stream.
    if (event !== 'error' || this.listenerCount('error') > 0) this.emitLocal(event, ...args);
    return true;
  }

  #expire(): void {
    const oldest = this.maxAgeMs === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : this.now() - this.maxAgeMs;
    while (this.#arrivalHead < this.#arrival.length) {
      const entry = this.#arrival[this.#arrivalHead] as EventEntry;
      if (this.#index.size <= this.maxEvents && entry.ts >= oldest) break;
      this.#index.remove(entry);
      this.#arrivalHead++;
    }
    if (this.#arrivalHead > 1024 && this.#arrivalHead * 2 > this.#arrival.length) {
      this.#arrival = this.#arrival.slice(this.#arrivalHead);
      this.#arrivalHead = 0;
    }
  }
}
