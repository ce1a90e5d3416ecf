/**
 * @module model
 * `Model`: a replicated last-write-wins key/value map, wire-compatible with `scuttlebutt/model`.
 * A change is `[key, value]`; `null` is a replicated deletion (a tombstone `toJSON()` hides).
 *
 * Ties: the original let the later arrival win on equal timestamps, so two replicas could keep
 * different values forever (bug M1). Here the higher (ts, source) pair wins everywhere.
 * Memory: one compact entry per key (not the parsed update arrays), indexed by source so that
 * `history(clock)` costs what the peer lacks. Tombstones are kept for `tombstoneTtlMs` (default:
 * forever, as the original), then collected (see `_tombstones.ts`).
 * Typed values: `new Model({ schema })` takes a Standard Schema v1 validator for the values
 * (deletions, `null`, are always allowed); see `_schema.ts`.
 */
import { createError, LocalProtocolError } from '../errors.js';
import { HistoryIndex } from '../protocol/history.js';
import type { Clock, Update } from '../protocol/update.js';
import { isForbiddenName } from '../protocol/update.js';
import { type ChangeProblem, type ResetCollector, Scuttlebutt, type ScuttlebuttOptions } from '../scuttlebutt.js';
import { assertSchema, checkSchema, type SchemaOption, type StandardSchemaV1 } from './_schema.js';
import { keyedReset, type TombstoneCollector, type TombstoneOptions } from './_tombstones.js';

/** A Model change: `[key, value]`. */
export type ModelChange = [key: string, value: unknown];

/** Options of {@link Model}: the model options plus a `schema` for the values. */
/** Options of {@link Model}: the model options, a `schema` for the values and `tombstoneTtlMs`. */
export interface ModelOptions<V = unknown> extends ScuttlebuttOptions, SchemaOption<V>, TombstoneOptions {}

class Entry {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly ts: number,
    readonly source: string,
    /** A signature and anything else after the source, forwarded unchanged. */
    readonly extra: unknown[] | undefined,
  ) {}

  toUpdate(): Update<ModelChange> {
    const update: Update<ModelChange> = [[this.key, this.value], this.ts, this.source];
    if (this.extra !== undefined) update.push(...this.extra);
    return update;
  }
}

/** Whether `a` (ts, source) beats `b`. */
function wins(ts: number, source: string, current: Entry): boolean {
  return ts > current.ts || (ts === current.ts && source > current.source);
}

/**
 * A replicated key/value map.
 *
 * @example
 * ```ts
 * const a = new Model('A'), b = new Model('B')
 * a.set('name', 'ada')
 * const s = a.createStream(); s.pipe(b.createStream()).pipe(s)
 * b.on('change:name', (v) => console.log(v)) // 'ada'
 * ```
 */
export class Model<V = unknown> extends Scuttlebutt<ModelChange> {
  readonly #store = new Map<string, Entry>();
  readonly #index = new HistoryIndex<Entry>();
  readonly #tombstones: TombstoneCollector<Entry>;
  /**
   * Listener counts of the events emitted per applied update, kept by `newListener` and
   * `removeListener`, so that an update nobody listens to costs no event dispatch and no
   * `change:KEY` name is built for a key nobody watches (the hot path of sync and live updates).
   */
  readonly #listening = new Map<string, number>();
  readonly #schema: StandardSchemaV1<unknown, V> | undefined;
  /** True while `set` applies a value it has already checked against the schema. */
  #checked = false;

  /**
   * @param options - an id, or `{ id, sign, verify, createId, maxClockSkewMs, now, limits, schema }`
   * @throws TypeError for a `schema` that is not a Standard Schema v1 validator
   */
  constructor(options?: string | ModelOptions<V>) {
    super(options);
    this.#schema = typeof options === 'object' && options !== null ? assertSchema<V>(options.schema) : undefined;
    this.#tombstones = this.collectsTombstones<Entry>(options, (entry) => {
      if (this.#store.get(entry.key) !== entry) return false; // set again since: not a tombstone any more
      this.#store.delete(entry.key);
      this.#index.remove(entry);
      return true;
    });
    this.#trackListeners();
  }

  readonly #onNewListener = (name: string | symbol): void => this.#count(name, 1);
  readonly #onRemoveListener = (name: string | symbol): void => this.#count(name, -1);

  #count(name: string | symbol, delta: number): void {
    if (typeof name !== 'string' || !(name === 'update' || name === 'change' || name.startsWith('change:'))) return;
    const n = (this.#listening.get(name) ?? 0) + delta;
    if (n > 0) this.#listening.set(name, n);
    else this.#listening.delete(name);
  }

  #trackListeners(): void {
    if (!this.listeners('removeListener').includes(this.#onRemoveListener)) this.on('removeListener', this.#onRemoveListener);
    if (!this.listeners('newListener').includes(this.#onNewListener)) this.on('newListener', this.#onNewListener);
  }

  /** Also recounts listeners and puts back the bookkeeping ones if they went too. */
  override removeAllListeners(name?: string | symbol): this {
    super.removeAllListeners(name);
    if (name === undefined || name === 'newListener' || name === 'removeListener') {
      this.#listening.clear();
      for (const event of this.eventNames()) {
        if (typeof event === 'string' && (event === 'update' || event === 'change' || event.startsWith('change:'))) {
          this.#listening.set(event, this.listenerCount(event));
        }
      }
      this.#trackListeners();
    }
    return this;
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    if (!Array.isArray(change) || change.length < 1 || change.length > 2) return 'a Model change must be [key, value]';
    const key = change[0];
    if (typeof key !== 'string') return 'a Model key must be a string';
    if (isForbiddenName(key)) return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'a Model key must not be "__proto__"' };
    return null;
  }

  /**
   * Sets a key; `null` (or `undefined`) deletes it. Replicates to every stream.
   * @throws TypeError for a non-string key, RangeError for `"__proto__"`,
   *   LocalProtocolError ERR_SB_INVALID_ARGUMENT for a value the schema refuses
   */
  set(key: string, value: V | null | undefined): this {
    if (typeof key !== 'string') throw new TypeError(`"key" expected string, got ${typeof key}`);
    if (isForbiddenName(key)) throw new RangeError('"key" must not be "__proto__"');
    if (this.#schema === undefined || value === null || value === undefined)
      return this.localUpdate([key, value === undefined ? null : value]);
    const problem = checkSchema(this.#schema, value);
    if (problem !== null) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', `"${key}": ${problem}`);
    this.#checked = true;
    try {
      return this.localUpdate([key, value]);
    } finally {
      this.#checked = false;
    }
  }

  /** The value of a key, `null` once deleted, `undefined` if never set. */
  get(key: string): V | null | undefined {
    const entry = this.#store.get(key);
    return entry === undefined ? undefined : (entry.value as V | null);
  }

  /** Whether the key has a value (not deleted). */
  has(key: string): boolean {
    const entry = this.#store.get(key);
    return entry !== undefined && entry.value !== null;
  }

  /** Every key ever set, deleted ones included (as the original), in first-set order. */
  keys(): string[] {
    return [...this.#store.keys()];
  }

  /** Calls `fn(value, key)` for every key, deleted ones included (as the original). */
  each(fn: (value: V | null, key: string) => void): void {
    for (const [key, entry] of this.#store) fn(entry.value as V | null, key);
  }

  /** Alias of {@link each}. */
  forEach(fn: (value: V | null, key: string) => void): void {
    this.each(fn);
  }

  /** Number of live (not deleted) keys. */
  get size(): number {
    let n = 0;
    for (const entry of this.#store.values()) if (entry.value !== null) n++;
    return n;
  }

  /** A plain object of the live keys (deleted keys left out). */
  toJSON(): Record<string, V> {
    const out: Record<string, V> = {};
    for (const [key, entry] of this.#store) {
      if (entry.value !== null && entry.value !== undefined) {
        // defineProperty: a key such as "constructor" must not touch the prototype chain.
        Object.defineProperty(out, key, { value: entry.value, enumerable: true, writable: true, configurable: true });
      }
    }
    return out;
  }

  override history(sources?: Readonly<Clock> | null): Update<ModelChange>[] {
    return this.#index.since(sources).map((entry) => entry.toUpdate());
  }

  protected override *replay(sources: Readonly<Clock>): Iterable<Update> {
    for (const entry of this.#index.since(sources)) yield entry.toUpdate();
  }

  /** Number of deletions still remembered (tombstones). */
  get tombstoneCount(): number {
    let n = 0;
    for (const entry of this.#store.values()) if (entry.value === null) n++;
    return n;
  }

  /**
   * Takes a reset snapshot: once it is complete, every key the sender did not send, whose
   * write the sender had seen (its clock covers it), was deleted there and collected, so it is
   * dropped here too (emitting `change` with `null`). Keys written here that the sender had not
   * seen are kept: they are news to it.
   */
  override beginReset(senderClock: Readonly<Clock>): ResetCollector {
    return keyedReset(senderClock, {
      identitiesOf: (update) => {
        const change = update[0];
        return Array.isArray(change) && typeof change[0] === 'string' ? [change[0]] : [];
      },
      held: () => this.#store,
      dropIdentity: (key) => {
        const entry = this.#store.get(key) as Entry;
        this.#store.delete(key);
        this.#index.remove(entry);
        if (entry.value !== null) {
          this.emit('change', key, null);
          this.emit(`change:${key}`, null);
        }
      },
    });
  }

  override applyUpdate(update: Update<ModelChange>): boolean {
    // Read once and cleared: a listener fired below may apply a remote update, which must be checked.
    const checked = this.#checked;
    this.#checked = false;
    const change = update[0];
    const key = change[0];
    const ts = update[1];
    const source = update[2];
    const current = this.#store.get(key);
    if (current !== undefined && !wins(ts, source, current)) return false;
    const value = change.length > 1 && change[1] !== undefined ? change[1] : null;
    if (this.#schema !== undefined && value !== null && !checked) {
      // A well-formed update whose value the schema refuses: reported and dropped, and the
      // stream stays open (one bad writer must not cut a validating replica off its peers).
      const problem = checkSchema(this.#schema, value);
      if (problem !== null) {
        this.emitLocal('invalid', createError('ERR_SB_INVALID_UPDATE', `"${key}": ${problem}`, { input: update }), update);
        return false;
      }
    }
    const entry = new Entry(key, value, ts, source, update.length > 3 ? update.slice(3) : undefined);
    if (current !== undefined) {
      this.#index.remove(current);
      if (this.listenerCount('_remove') > 0) this.emitLocal('_remove', current.toUpdate());
    }
    this.#store.set(key, entry);
    this.#index.add(entry);
    if (value === null) {
      this.#tombstones.add(entry);
      this.#tombstones.tick();
    }
    // Model does not override emit, so EventEmitter's own is called directly: this is the hot path.
    const listening = this.#listening;
    if (listening.size > 0) {
      if (listening.has('update')) {
        if (update.length > 3) this.emit('update', change, ts, source, ...update.slice(3));
        else this.emit('update', change, ts, source);
      }
      if (listening.has('change')) this.emit('change', key, value);
      const keyEvent = `change:${key}`;
      if (listening.has(keyEvent)) this.emit(keyEvent, value);
    }
    return true;
  }
}
