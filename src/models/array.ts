/**
 * @module array
 * `RArray`: a replicated ordered list, with the API and the wire of r-array 0.5.3.
 *
 * Wire: a change is an object `{positionKey: value|null}` (`null` deletes), one update per call
 * (`splice` included): `[{"VVk3q":"y"},1700000000001.002,"A"]`. Position keys are strings over
 * `!0-9A-Z_a-z~` (see `_position.ts`), ordered by plain string comparison; the list is the live
 * values in key order. Last write wins per key, by (ts, source).
 *
 * Theory of operation: each key has one {@link Entry} (its value, or `null` once deleted: a
 * tombstone, needed so that a peer that missed the deletion gets it). An update that touches one
 * key is its own history record; one that touches several shares a {@link Batch}, so `history`
 * sends one line per surviving update, with only the keys that update still wins (two lines
 * with one (ts, source) would make the second one "old data" for the peer). The live keys are
 * kept in a sorted array for positions.
 *
 * What it keeps, and for how long: one entry per live element, plus one small tombstone (key,
 * stamp) per deleted element for `tombstoneTtlMs` (default: forever), then collected, and a peer
 * older than a collected deletion gets a reset (see `_tombstones.ts`). Superseded values are
 * dropped at once.
 *
 * Fixed from r-array: its `DOEMIT`/`CHANGE` flags are module-global, so an edit made on one
 * array while another applies an update was lost; `applyUpdate` returned true for an update
 * that changed nothing (re-sent to every peer); keys grew by a character every ~6 appends;
 * `indexOf` returned a string index.
 */
import { createError, LocalProtocolError } from '../errors.js';
import { HistoryIndex } from '../protocol/history.js';
import type { Clock, Update } from '../protocol/update.js';
import { type ChangeProblem, type ResetCollector, Scuttlebutt, type ScuttlebuttOptions } from '../scuttlebutt.js';
import { between, digitsFor, isPositionKey, MAX_POSITION_KEY_LENGTH } from './_position.js';
import { assertSchema, checkSchema, type SchemaOption, type StandardSchemaV1 } from './_schema.js';
import { SortedList } from './_sorted-list.js';
import { keyedReset, type TombstoneCollector, type TombstoneOptions } from './_tombstones.js';

/** An RArray change: `{positionKey: value | null}`. */
export type ArrayChange = Record<string, unknown>;

/** Options of {@link RArray}. */
export interface RArrayOptions<V = unknown> extends ScuttlebuttOptions, SchemaOption<V>, TombstoneOptions {}

/** The state of one position key. */
class Entry {
  constructor(
    readonly key: string,
    /** The value, `null` once deleted. */
    public value: unknown,
    public ts: number,
    public source: string,
    /** The multi-key update this entry's value came from, or null when it is its own record. */
    public batch: Batch | null,
    public extra: unknown[] | undefined,
  ) {}
}

/** A history record for an update that set several keys. */
class Batch {
  /** Entries whose value still comes from this update. */
  live = 0;
  constructor(
    readonly ts: number,
    readonly source: string,
    readonly extra: unknown[] | undefined,
    readonly entries: Entry[],
    /** The change as signed, kept only for signed updates (re-sent whole so the signature holds). */
    readonly signed: ArrayChange | undefined,
  ) {}
}

type Record_ = Entry | Batch;

const wins = (ts: number, source: string, entry: Entry): boolean => ts > entry.ts || (ts === entry.ts && source > entry.source);

function define(target: ArrayChange, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A replicated array.
 *
 * @example
 * ```ts
 * const a = new RArray<string>('A'), b = new RArray<string>('B')
 * const s = a.createStream(); s.pipe(b.createStream()).pipe(s)
 * a.push('x'); a.unshift('w'); a.splice(1, 1, 'y', 'z') // each call is one update
 * b.toJSON() // ['w', 'y', 'z'] once replicated
 * ```
 */
export class RArray<V = unknown> extends Scuttlebutt<ArrayChange> {
  readonly #store = new Map<string, Entry>();
  /** Live keys, sorted. */
  readonly #keys = new SortedList<string>((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  readonly #index = new HistoryIndex<Record_>();
  readonly #schema: StandardSchemaV1<unknown, V> | undefined;
  #checked = false;
  /** Number of deleted keys remembered. */
  #deleted = 0;
  readonly #tombstones: TombstoneCollector<Entry>;
  /**
   * Per key, how many signed multi-key updates still in the history carry it: such an update is
   * re-sent whole (its signature covers every key), so a deletion of one of its keys must not be
   * collected while it is (a fresh peer would take the key back from it).
   */
  readonly #signedKeys = new Map<string, number>();

  /**
   * @param options - an id, or model options plus `schema` (a Standard Schema for the values)
   *   and `tombstoneTtlMs`
   * @throws TypeError for a bad `schema`, RangeError for a bad `tombstoneTtlMs`
   */
  constructor(options?: string | RArrayOptions<V>) {
    super(options);
    this.#schema = typeof options === 'object' && options !== null ? assertSchema<V>(options.schema) : undefined;
    this.#tombstones = this.collectsTombstones<Entry>(options, (entry) => {
      // Entries are updated in place: this one may have been written again since it was queued.
      if (entry.value !== null || this.#store.get(entry.key) !== entry) return false;
      if ((this.#signedKeys.get(entry.key) ?? 0) > 0) return false; // kept: see #signedKeys
      this.#release(entry);
      entry.batch = null;
      this.#store.delete(entry.key);
      this.#deleted--;
      return true;
    });
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    if (typeof change !== 'object' || change === null || Array.isArray(change))
      return 'an RArray change must be an object {positionKey: value}';
    for (const key of Object.keys(change)) {
      if (key === '__proto__') return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'a position key must not be "__proto__"' };
      if (!isPositionKey(key)) {
        return `position key ${JSON.stringify(key.slice(0, 40))} is not 1..${MAX_POSITION_KEY_LENGTH} characters of !0-9A-Z_a-z~ not ending with "!"`;
      }
    }
    return null;
  }

  /** Number of live elements. */
  get length(): number {
    return this.#keys.size;
  }

  /** Number of deleted keys still remembered (tombstones). */
  get tombstoneCount(): number {
    return this.#deleted;
  }

  /** The first position key, or `undefined` when empty. */
  first(): string | undefined {
    return this.#keys.first();
  }

  /** The last position key, or `undefined` when empty. */
  last(): string | undefined {
    return this.#keys.last();
  }

  /** The key at an index (negative counts from the end), or `undefined`. */
  keyAt(index: number): string | undefined {
    return this.#keys.at(index < 0 ? this.#keys.size + index : index);
  }

  /** The value at an index (negative counts from the end), or `undefined`. */
  at(index: number): V | undefined {
    const key = this.keyAt(index);
    return key === undefined ? undefined : (this.#store.get(key)?.value as V);
  }

  /** The live keys, in order (a copy). */
  keys(): string[] {
    return this.#keys.toArray();
  }

  /** The value at a position key, `undefined` if there is none (or it was deleted). */
  get(key: string): V | undefined {
    const entry = this.#store.get(key);
    return entry === undefined || entry.value === null ? undefined : (entry.value as V);
  }

  /** Index of the first element equal (`===`) to `value`, or -1 (r-array returned a string, or null). */
  indexOf(value: V): number {
    let i = 0;
    for (const key of this.#keys) {
      if (this.#store.get(key)?.value === value) return i;
      i++;
    }
    return -1;
  }

  /** Index of a position key, or -1. */
  indexOfKey(key: string): number {
    return this.#keys.indexOf(key);
  }

  /**
   * Inserts a value between two keys (either may be null or undefined for an end) as one update.
   * @returns the new key
   * @throws RangeError when `before >= after` or a key is not a position key
   */
  insert(before: string | null | undefined, value: V, after?: string | null): string {
    const [key] = this.#newKeys(before ?? null, after ?? null, 1);
    this.#write(this.#change([[key as string, value]]));
    return key as string;
  }

  /**
   * Sets the value at a key (a new key inserts at its place), as one update; `null` deletes.
   * @throws RangeError for a key that is not a position key
   */
  set(key: string, value: V | null): this {
    this.#assertKey(key);
    return this.#write(this.#change([[key, value === undefined ? null : value]]));
  }

  /** Deletes the value at a key (one update); no-op for a key with no value. */
  unset(key: string): this {
    this.#assertKey(key);
    if (this.get(key) === undefined) return this;
    return this.#write(this.#change([[key, null]]));
  }

  /** Appends a value (one update). @returns its key */
  push(value: V): string {
    return this.insert(this.last(), value, null);
  }

  /** Prepends a value (one update). @returns its key */
  unshift(value: V): string {
    return this.insert(null, value, this.first());
  }

  /** Removes and returns the last value. */
  pop(): V | undefined {
    const key = this.last();
    if (key === undefined) return undefined;
    const value = this.get(key);
    this.unset(key);
    return value;
  }

  /** Removes and returns the first value. */
  shift(): V | undefined {
    const key = this.first();
    if (key === undefined) return undefined;
    const value = this.get(key);
    this.unset(key);
    return value;
  }

  /**
   * Removes `deleteCount` values at `start` and inserts `items` there, as ONE update. Replaced
   * positions keep their keys (as r-array does); extra items get new keys.
   * @returns the removed values
   */
  splice(start: number, deleteCount = 0, ...items: V[]): V[] {
    const keys = this.#keys;
    const n = keys.size;
    let i = Math.trunc(start);
    if (Number.isNaN(i)) i = 0;
    if (i < 0) i = Math.max(0, n + i);
    if (i > n) i = n;
    const d = Math.max(0, Math.min(Math.trunc(deleteCount) || 0, n - i));
    const removed: V[] = [];
    const pairs: Array<[string, unknown]> = [];
    const reuse = Math.min(d, items.length);
    for (let j = 0; j < d; j++) {
      const key = keys.at(i + j) as string;
      removed.push(this.get(key) as V);
      pairs.push([key, j < reuse ? items[j] : null]);
    }
    if (items.length > reuse) {
      const before = i + reuse - 1 >= 0 ? (keys.at(i + reuse - 1) as string) : null;
      const after = i + d < n ? (keys.at(i + d) as string) : null;
      const fresh = this.#newKeys(before, after, items.length - reuse);
      for (let j = reuse; j < items.length; j++) pairs.push([fresh[j - reuse] as string, items[j]]);
    }
    if (pairs.length > 0) this.#write(this.#change(pairs));
    return removed;
  }

  /** Calls `fn(value, index)` for each value in order. */
  forEach(fn: (value: V, index: number) => void): void {
    const values = this.toJSON();
    for (let i = 0; i < values.length; i++) fn(values[i] as V, i);
  }

  /** The values mapped, in order. */
  map<U>(fn: (value: V, index: number) => U): U[] {
    return this.toJSON().map((v, i) => fn(v, i));
  }

  /** The values that pass `fn`, in order. */
  filter(fn: (value: V, index: number) => boolean): V[] {
    return this.toJSON().filter((v, i) => fn(v, i));
  }

  /** Reduces the values in order. */
  reduce<U>(fn: (acc: U, value: V, index: number) => U, initial: U): U {
    return this.toJSON().reduce((acc, v, i) => fn(acc, v, i), initial);
  }

  /** The live values, in key order. */
  toJSON(): V[] {
    const out = new Array<V>(this.#keys.size);
    let i = 0;
    for (const key of this.#keys) out[i++] = (this.#store.get(key) as Entry).value as V;
    return out;
  }

  /**
   * Takes a reset snapshot: position keys the sender did not send, held by a write it had
   * seen, were deleted there and collected; they are dropped here too (emitting `preupdate`
   * and `update` with `{key: null}` for live ones).
   */
  override beginReset(senderClock: Readonly<Clock>): ResetCollector {
    return keyedReset(senderClock, {
      identitiesOf: (update) => {
        const change = update[0];
        return typeof change === 'object' && change !== null && !Array.isArray(change) ? Object.keys(change) : [];
      },
      held: () => this.#store,
      dropIdentity: (key) => {
        const entry = this.#store.get(key) as Entry;
        const live = entry.value !== null;
        const apply: ArrayChange = {};
        define(apply, key, null);
        if (live) this.emitLocal('preupdate', apply);
        this.#release(entry);
        entry.batch = null; // a batch it came from must not send it any more
        this.#store.delete(key);
        if (!live) this.#deleted--;
        else {
          this.#keys.remove(key);
          this.emitLocal('update', apply);
        }
      },
    });
  }

  override history(sources?: Readonly<Clock> | null): Update<ArrayChange>[] {
    return this.#index.since(sources).map((record) => this.#toUpdate(record));
  }

  protected override *replay(sources: Readonly<Clock>): Iterable<Update> {
    for (const record of this.#index.since(sources)) yield this.#toUpdate(record);
  }

  override applyUpdate(update: Update<ArrayChange>): boolean {
    // Read once and cleared: a listener fired below may apply a remote update, which must be checked.
    const checked = this.#checked;
    this.#checked = false;
    const change = update[0];
    const ts = update[1];
    const source = update[2];
    // First pass: what wins, so the whole update is checked before anything changes.
    const winners: string[] = [];
    const apply: ArrayChange = {};
    for (const key of Object.keys(change)) {
      const entry = this.#store.get(key);
      if (entry !== undefined && !wins(ts, source, entry)) continue;
      const raw = change[key];
      const value = raw === undefined ? null : raw;
      if (this.#schema !== undefined && value !== null && !checked) {
        const problem = checkSchema(this.#schema, value);
        if (problem !== null) {
          this.emitLocal('invalid', createError('ERR_SB_INVALID_UPDATE', `position ${key}: ${problem}`, { input: update }), update);
          return false;
        }
      }
      winners.push(key);
      define(apply, key, value);
    }
    if (winners.length === 0) return false;
    this.emitLocal('preupdate', apply);
    const extra = update.length > 3 ? update.slice(3) : undefined;
    let deleted = false;
    const batch = winners.length > 1 ? new Batch(ts, source, extra, [], extra === undefined ? undefined : change) : null;
    for (const key of winners) {
      const value = apply[key];
      let entry = this.#store.get(key);
      let wasLive = false;
      if (entry !== undefined) {
        wasLive = entry.value !== null;
        if (!wasLive) this.#deleted--;
        this.#release(entry);
        entry.value = value;
        entry.ts = ts;
        entry.source = source;
        entry.batch = batch;
        entry.extra = batch === null ? extra : undefined;
      } else {
        entry = new Entry(key, value, ts, source, batch, batch === null ? extra : undefined);
        this.#store.set(key, entry);
      }
      if (value === null) {
        this.#deleted++;
        this.#tombstones.add(entry);
        deleted = true;
      }
      if (batch === null) this.#index.add(entry);
      else {
        batch.entries.push(entry);
        batch.live++;
      }
      const isLive = value !== null;
      if (wasLive !== isLive) {
        if (isLive) this.#keys.insert(key);
        else this.#keys.remove(key);
      }
    }
    if (batch !== null) {
      this.#index.add(batch);
      if (batch.signed !== undefined)
        for (const key of Object.keys(batch.signed)) this.#signedKeys.set(key, (this.#signedKeys.get(key) ?? 0) + 1);
    }
    this.emitLocal('update', apply);
    if (deleted) this.#tombstones.tick();
    return true;
  }

  /** Detaches an entry from the history record its value came from. */
  #release(entry: Entry): void {
    const batch = entry.batch;
    if (batch === null) {
      this.#index.remove(entry);
      if (this.listenerCount('_remove') > 0) this.emitLocal('_remove', this.#toUpdate(entry));
      return;
    }
    if (--batch.live === 0) {
      this.#index.remove(batch);
      if (batch.signed !== undefined) {
        for (const key of Object.keys(batch.signed)) {
          const n = (this.#signedKeys.get(key) ?? 1) - 1;
          if (n > 0) this.#signedKeys.set(key, n);
          else this.#signedKeys.delete(key);
        }
      }
      if (this.listenerCount('_remove') > 0) this.emitLocal('_remove', [{}, batch.ts, batch.source]);
    }
  }

  #toUpdate(record: Record_): Update<ArrayChange> {
    const change: ArrayChange = {};
    let extra: unknown[] | undefined;
    if (record instanceof Entry) {
      define(change, record.key, record.value);
      extra = record.extra;
    } else {
      extra = record.extra;
      if (record.signed !== undefined) return [record.signed, record.ts, record.source, ...(extra ?? [])];
      for (const entry of record.entries) if (entry.batch === record) define(change, entry.key, entry.value);
    }
    const update: Update<ArrayChange> = [change, record.ts, record.source];
    if (extra !== undefined) update.push(...extra);
    return update;
  }

  #assertKey(key: string): void {
    if (typeof key !== 'string') throw new TypeError(`"key" expected string, got ${typeof key}`);
    if (!isPositionKey(key))
      throw new RangeError(`"key" expected a position key (characters of !0-9A-Z_a-z~, not ending with "!"), got ${JSON.stringify(key)}`);
  }

  /** New keys between two live keys; `count` of them, in order. */
  protected newKeys(before: string | null, after: string | null, count: number): string[] {
    return this.#newKeys(before, after, count);
  }

  #newKeys(before: string | null, after: string | null, count: number): string[] {
    if (before !== null) this.#assertKey(before);
    if (after !== null) this.#assertKey(after);
    return between(before, after, count, digitsFor(this.#keys.size + count));
  }

  #change(pairs: ReadonlyArray<readonly [string, unknown]>): ArrayChange {
    const change: ArrayChange = {};
    for (const [key, value] of pairs) {
      if (this.#schema !== undefined && value !== null) {
        const problem = checkSchema(this.#schema, value);
        if (problem !== null) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', problem);
      }
      define(change, key, value);
    }
    return change;
  }

  /** Applies a change already checked against the schema, as one local update. */
  protected writeChange(change: ArrayChange): this {
    return this.#write(change);
  }

  #write(change: ArrayChange): this {
    this.#checked = true;
    try {
      return this.localUpdate(change);
    } finally {
      this.#checked = false;
    }
  }
}
