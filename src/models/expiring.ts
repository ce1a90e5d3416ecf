/**
 * @module expiring
 * `ExpiringModel`: a replicated key/value cache whose entries expire, with the wire of
 * expiry-model 1.0.2: a change is `[key, value]`, object values merge field by field, `null`
 * deletes: `[["foo",{"a":1,"b":2}],1700000000006,"A"]`.
 *
 * Rules (the same on every replica, so replicas agree without sending anything more):
 * - Expiry: a write expires `maxAgeMs` after its timestamp (the hybrid clock, `model.now()`).
 *   An update already that old is refused as `invalid` (code ERR_SB_INVALID_UPDATE), so expired
 *   data never comes back from a lagging peer; one from too far in the future is refused by the
 *   base class (ERR_SB_CLOCK_SKEW).
 * - Values: the newest non-object write (a scalar, an array, or `null` to delete) replaces the
 *   value; object writes after it merge field by field, last write wins per field by (ts,
 *   source). expiry-model merged whole objects and kept one timestamp, so the result depended on
 *   the order of arrival, and a `null` left no trace, so an older write could bring a deleted key
 *   back; here a deletion is a write like the others, kept until it expires.
 * - Size: at most `maxSize` live keys. Beyond that the key whose last write is oldest (ties by
 *   key) is evicted: "least recently written"; reads do not count, since replicas see different
 *   reads. Eviction is a local memory bound, as in expiry-model: nothing is sent, and a replica
 *   that crossed the bound may keep other keys than one that did not (a cache, not a replicated
 *   set; with `maxSize: Infinity` replicas converge). Once a key with stamp s was evicted, a
 *   write older than s for a key this replica does not hold is refused (one number, the
 *   eviction watermark), so an evicted key never comes back with a stale value; a key evicted
 *   and then partly rewritten (an object merge) holds only the newer fields on that replica.
 * - Clock collection: the vector clock entry of a source is deleted once it owns no live write
 *   AND its newest timestamp is older than `now - maxAgeMs`. Everything that source could still
 *   send with a timestamp up to that entry is refused as expired, so forgetting the entry cannot
 *   let an old update in again. (expiry-model deleted the entry as soon as LRU evicted its last
 *   record, which let a peer send the evicted records back.)
 *
 * What it keeps, and for how long: per key, its live writes (a merged object may have several,
 * one per writer), each at most `maxAgeMs`; at most `maxSize` live keys, and deletions until
 * they expire; clock entries of sources that wrote in the last `maxAgeMs`.
 */
import { createError, LocalProtocolError, type ScuttlebuttError } from '../errors.js';
import { assertDuration, assertLimit } from '../protocol/_assert.js';
import { HistoryIndex } from '../protocol/history.js';
import { type Clock, isForbiddenName, type Update } from '../protocol/update.js';
import { type ChangeProblem, Scuttlebutt, type ScuttlebuttOptions, type UpdateSink } from '../scuttlebutt.js';
import { MinHeap } from './_heap.js';
import { assertSchema, checkSchema, type SchemaOption, type StandardSchemaV1 } from './_schema.js';

/** An ExpiringModel change: `[key, value]`. */
export type ExpiringChange = [key: string, value: unknown];

/** One day: expiry-model's default max age. */
export const DEFAULT_EXPIRY_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** expiry-model's default max size (its lru-cache `max`). */
export const DEFAULT_EXPIRY_MAX_SIZE = 500;

/** Options of {@link ExpiringModel}. */
export interface ExpiringModelOptions<V = unknown> extends ScuttlebuttOptions, SchemaOption<V> {
  /** How long a write lives, in ms on the hybrid clock (default one day; `Infinity` for never). */
  maxAgeMs?: number;
  /** Most live keys (default 500; `Infinity` for no limit). */
  maxSize?: number;
  /** expiry-model's name for `maxAgeMs`. */
  maxAge?: number;
  /** expiry-model's name for `maxSize`. */
  max?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One write. `names === null`: a scalar write (`value` is the value), or a whole object write
 * (`whole`: every field of `value` still wins). Otherwise the fields of an object write that
 * still win (`value` then holds the object only when signed, to re-send it as signed).
 */
class Write {
  /** What it still wins: 1 for a scalar or whole write, the number of fields otherwise; -1 once dead. */
  live = 0;
  names: string[] | null = null;
  constructor(
    readonly ts: number,
    readonly source: string,
    readonly extra: unknown[] | undefined,
    readonly rec: KeyRec,
    public value: unknown,
    readonly whole: boolean,
  ) {}

  get dead(): boolean {
    return this.live < 0;
  }
}

interface Field {
  value: unknown;
  write: Write;
}

/**
 * One key. Its value: the fields of the object writes newer than `scalar` (held whole by `whole`
 * while a single object write covers them all, the common case, which needs no map; `fields`
 * once writes merge), or else `scalar`'s value.
 */
class KeyRec {
  scalar: Write | null = null;
  whole: Write | null = null;
  /** In field mode, the newest object write (it makes the value an object, even with no field). */
  marker: Write | null = null;
  fields: Map<string, Field> | null = null;
  /** The newest timestamp of its writes: the eviction order. */
  stamp = 0;
  /** The stamp it is queued under in the eviction heap (lazy: re-queued when it grew). */
  queued = 0;
  cached: unknown = undefined;
  constructor(readonly key: string) {}

  value(): unknown {
    if (this.cached !== undefined) return this.cached;
    let v: unknown;
    if (this.fields !== null && this.fields.size > 0) {
      const obj: Record<string, unknown> = {};
      for (const [name, field] of this.fields)
        Object.defineProperty(obj, name, { value: field.value, enumerable: true, writable: true, configurable: true });
      v = obj;
    } else if (this.whole !== null) v = this.whole.value;
    else if (this.marker !== null) v = {};
    else v = this.scalar === null ? null : this.scalar.value;
    this.cached = v;
    return v;
  }

  get empty(): boolean {
    return this.scalar === null && this.whole === null && this.marker === null && (this.fields === null || this.fields.size === 0);
  }
}

/** Whether object `a` has every field of object `b`. */
function covers(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const name in b) if (!Object.hasOwn(a, name)) return false;
  return true;
}

const beats = (ts: number, source: string, w: Write): boolean => ts > w.ts || (ts === w.ts && source > w.source);

/**
 * A replicated cache with expiry and a size bound.
 *
 * @example
 * ```ts
 * const a = new ExpiringModel({ id: 'A', maxAgeMs: 60_000, maxSize: 1000 })
 * a.set('session:1', { user: 'ada' })
 * a.get('session:1') // { user: 'ada' } for one minute, on every replica
 * ```
 */
export class ExpiringModel<V = unknown> extends Scuttlebutt<ExpiringChange> {
  readonly maxAgeMs: number;
  readonly maxSize: number;
  readonly #records = new Map<string, KeyRec>();
  readonly #index = new HistoryIndex<Write>();
  readonly #byAge = new MinHeap<Write>((a, b) => a.ts < b.ts);
  /** Eviction order: oldest last write first, ties by key, so every replica evicts the same keys. */
  readonly #byStamp = new MinHeap<KeyRec>((a, b) => a.queued < b.queued || (a.queued === b.queued && a.key < b.key));
  readonly #owned = new Map<string, number>();
  readonly #idle = new Set<string>();
  readonly #schema: StandardSchemaV1<unknown, V> | undefined;
  #checked = false;
  #live = 0;
  #writes = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The newest stamp evicted so far: older writes for keys not held are refused. */
  #evictedUpTo = Number.NEGATIVE_INFINITY;
  #timerAt = Number.POSITIVE_INFINITY;

  /**
   * @param options - an id, or model options plus `maxAgeMs`, `maxSize` (or expiry-model's
   *   `maxAge`, `max`) and `schema`
   * @throws TypeError / RangeError for bad options
   */
  constructor(options?: string | ExpiringModelOptions<V>) {
    super(options);
    const opts = typeof options === 'object' && options !== null ? options : {};
    this.maxAgeMs = assertDuration('maxAgeMs', opts.maxAgeMs ?? opts.maxAge ?? DEFAULT_EXPIRY_MAX_AGE_MS);
    this.maxSize = assertLimit('maxSize', opts.maxSize ?? opts.max ?? DEFAULT_EXPIRY_MAX_SIZE);
    this.#schema = assertSchema<V>(opts.schema);
    this.once('dispose', () => this.#clearTimer());
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    if (!Array.isArray(change) || change.length < 1 || change.length > 2) return 'an ExpiringModel change must be [key, value]';
    const key = change[0];
    if (typeof key !== 'string') return 'a key must be a string';
    if (isForbiddenName(key)) return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'a key must not be "__proto__"' };
    const value = change[1];
    if (isObject(value))
      for (const name of Object.keys(value))
        if (isForbiddenName(name)) return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'a field must not be "__proto__"' };
    return null;
  }

  /** The oldest timestamp still accepted. */
  #cutoff(): number {
    return this.maxAgeMs === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : this.now() - this.maxAgeMs;
  }

  override receiveUpdate(update: Update, from?: UpdateSink | Scuttlebutt<ExpiringChange>): boolean | ScuttlebuttError {
    if (typeof update[1] === 'number' && update[1] <= this.#cutoff()) {
      this.emitLocal(
        'invalid',
        createError(
          'ERR_SB_INVALID_UPDATE',
          `update from "${update[2]}" expired ${Math.round(this.#cutoff() - update[1])} ms ago (maxAgeMs ${this.maxAgeMs})`,
          {
            input: update,
          },
        ),
        update,
      );
      return false;
    }
    return super.receiveUpdate(update, from);
  }

  /**
   * Sets a key (one update); `null` deletes it. An object merges into an object value field by field.
   * @throws TypeError for a non-string key, RangeError for `"__proto__"`, LocalProtocolError
   *   ERR_SB_INVALID_ARGUMENT for a value the schema refuses
   */
  set(key: string, value: V | Partial<V> | null): this {
    if (typeof key !== 'string') throw new TypeError(`"key" expected string, got ${typeof key}`);
    if (isForbiddenName(key)) throw new RangeError('"key" must not be "__proto__"');
    const v = value === undefined ? null : value;
    if (this.#schema !== undefined && v !== null) {
      const problem = checkSchema(this.#schema, v);
      if (problem !== null) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', `"${key}": ${problem}`);
    }
    this.#checked = true;
    try {
      return this.localUpdate([key, v]);
    } finally {
      this.#checked = false;
    }
  }

  /** Deletes a key (one update). */
  delete(key: string): this {
    return this.set(key, null);
  }

  /** The value of a key, or `null` when absent, deleted or expired (as expiry-model). */
  get(key: string): V | null {
    this.#sweep();
    const rec = this.#records.get(key);
    return rec === undefined ? null : (rec.value() as V | null);
  }

  /** Whether a key has a live value. */
  has(key: string): boolean {
    return this.get(key) !== null;
  }

  /** The live keys. */
  keys(): string[] {
    this.#sweep();
    const out: string[] = [];
    for (const [key, rec] of this.#records) if (rec.value() !== null) out.push(key);
    return out;
  }

  /** Number of live keys. */
  get size(): number {
    this.#sweep();
    return this.#live;
  }

  /** Number of writes kept (live values, merged fields and deletions). */
  get writeCount(): number {
    this.#sweep();
    return this.#writes;
  }

  /** `{ key: value }` of the live keys. */
  toJSON(): Record<string, V> {
    this.#sweep();
    const out: Record<string, V> = {};
    for (const [key, rec] of this.#records) {
      const v = rec.value();
      if (v !== null) Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  override history(sources?: Readonly<Clock> | null): Update<ExpiringChange>[] {
    this.#sweep();
    return this.#index.since(sources).map(toUpdate);
  }

  protected override *replay(sources: Readonly<Clock>): Iterable<Update> {
    this.#sweep();
    for (const write of this.#index.since(sources)) yield toUpdate(write);
  }

  override applyUpdate(update: Update<ExpiringChange>): boolean {
    // Read once and cleared: a listener fired below may apply a remote update, which must be checked.
    const checked = this.#checked;
    this.#checked = false;
    this.#sweep();
    const [key] = update[0];
    const raw = update[0][1];
    const value = raw === undefined ? null : raw;
    const ts = update[1];
    const source = update[2];
    // The base class recorded this source in the clock: make sure its entry can be collected
    // even if this update changes nothing.
    if (!this.#owned.has(source)) this.#idle.add(source);
    if (this.#schema !== undefined && value !== null && !checked) {
      const problem = checkSchema(this.#schema, value);
      if (problem !== null) {
        this.emitLocal('invalid', createError('ERR_SB_INVALID_UPDATE', `"${key}": ${problem}`, { input: update }), update);
        return false;
      }
    }
    let rec = this.#records.get(key);
    const isNew = rec === undefined;
    if (rec === undefined) {
      // It would be the oldest key (and evicted at once), or a stale value of an evicted key.
      if (ts <= this.#evictedUpTo) return false;
      rec = new KeyRec(key);
    }
    if (rec.scalar !== null && !beats(ts, source, rec.scalar)) return false;
    const extra = update.length > 3 ? update.slice(3) : undefined;
    const wasLive = !isNew && rec.value() !== null;
    let write: Write;
    if (isObject(value)) {
      const whole = rec.whole;
      if (whole === null && rec.marker === null && (rec.fields === null || rec.fields.size === 0)) {
        // The only object write: kept whole, no field map.
        write = new Write(ts, source, extra, rec, value, true);
        write.live = 1;
        rec.whole = write;
      } else if (whole !== null && beats(ts, source, whole) && covers(value, whole.value as Record<string, unknown>)) {
        // A newer object write with every field of the current one: replaces it whole.
        write = new Write(ts, source, extra, rec, value, true);
        write.live = 1;
        this.#release(whole);
        rec.whole = write;
      } else {
        if (whole !== null) this.#split(rec, whole);
        const fields = (rec.fields ??= new Map());
        const names: string[] = [];
        for (const name of Object.keys(value)) {
          const field = fields.get(name);
          if (field === undefined || beats(ts, source, field.write)) names.push(name);
        }
        const newest = rec.marker === null || beats(ts, source, rec.marker);
        if (names.length === 0 && !newest) return false;
        write = new Write(ts, source, extra, rec, extra === undefined ? undefined : value, false);
        write.names = names;
        if (newest) {
          if (rec.marker !== null) this.#release(rec.marker);
          rec.marker = write;
          write.live++;
        }
        for (const name of names) {
          const field = fields.get(name);
          if (field !== undefined) this.#release(field.write);
          fields.set(name, { value: value[name], write });
          write.live++;
        }
      }
    } else {
      write = new Write(ts, source, extra, rec, value, false);
      write.live = 1;
      if (rec.scalar !== null) this.#release(rec.scalar);
      rec.scalar = write;
      if (rec.whole !== null && beats(ts, source, rec.whole)) {
        this.#release(rec.whole);
        rec.whole = null;
      }
      if (rec.marker !== null && beats(ts, source, rec.marker)) {
        this.#release(rec.marker);
        rec.marker = null;
      }
      if (rec.fields !== null) {
        for (const [name, field] of rec.fields) {
          if (!beats(ts, source, field.write)) continue;
          this.#release(field.write);
          rec.fields.delete(name);
        }
      }
    }
    rec.cached = undefined;
    if (isNew) this.#records.set(key, rec);
    this.#index.add(write);
    this.#writes++;
    this.#byAge.push(write);
    this.#owned.set(source, (this.#owned.get(source) ?? 0) + 1);
    this.#idle.delete(source);
    if (ts > rec.stamp) rec.stamp = ts;
    if (rec.queued === 0) {
      rec.queued = rec.stamp;
      this.#byStamp.push(rec);
    }
    const merged = rec.value();
    const isLive = merged !== null;
    if (wasLive !== isLive) this.#live += isLive ? 1 : -1;
    this.#evict();
    this.#schedule();
    this.emitLocal('update', key, merged, ts, source);
    this.emitLocal('change', key, merged);
    return true;
  }

  /** Turns a whole object write into per-field entries, before another object write merges in. */
  #split(rec: KeyRec, whole: Write): void {
    const obj = whole.value as Record<string, unknown>;
    const fields = (rec.fields ??= new Map());
    const names = Object.keys(obj);
    for (const name of names) fields.set(name, { value: obj[name], write: whole });
    whole.names = names;
    // Its fields, plus being the newest object write.
    whole.live = names.length + 1;
    rec.marker = whole;
    if (whole.extra === undefined) whole.value = undefined;
    rec.whole = null;
  }

  /** A write no longer wins one thing it set; out of the history once it wins nothing. */
  #release(write: Write): void {
    if (write.dead) return;
    if (--write.live > 0) return;
    this.#kill(write);
  }

  #kill(write: Write): void {
    write.live = -1;
    this.#index.remove(write);
    this.#writes--;
    const owned = (this.#owned.get(write.source) ?? 1) - 1;
    if (owned === 0) {
      this.#owned.delete(write.source);
      this.#idle.add(write.source);
    } else this.#owned.set(write.source, owned);
    if (this.listenerCount('_remove') > 0) this.emitLocal('_remove', toUpdate(write));
  }

  /** Drops a whole key (expiry of its last write, or eviction). */
  #drop(rec: KeyRec): void {
    if (rec.scalar !== null) this.#kill(rec.scalar);
    if (rec.whole !== null) this.#kill(rec.whole);
    if (rec.marker !== null && !rec.marker.dead) this.#kill(rec.marker);
    if (rec.fields !== null) for (const field of rec.fields.values()) if (!field.write.dead) this.#kill(field.write);
    rec.scalar = null;
    rec.whole = null;
    rec.marker = null;
    rec.fields = null;
    rec.cached = undefined;
    this.#records.delete(rec.key);
  }

  /** Expires old writes and collects idle clock entries. */
  #sweep(): void {
    const cutoff = this.#cutoff();
    if (cutoff === Number.NEGATIVE_INFINITY) return;
    for (let top = this.#byAge.peek(); top !== undefined && top.ts <= cutoff; top = this.#byAge.peek()) {
      this.#byAge.pop();
      if (top.dead) continue;
      const rec = top.rec;
      const before = rec.value();
      if (rec.scalar === top) rec.scalar = null;
      if (rec.whole === top) rec.whole = null;
      if (rec.marker === top) rec.marker = null;
      if (top.names !== null && rec.fields !== null) {
        for (const name of top.names) if (rec.fields.get(name)?.write === top) rec.fields.delete(name);
      }
      this.#kill(top);
      rec.cached = undefined;
      const after = rec.empty ? null : rec.value();
      if (rec.empty) this.#records.delete(rec.key);
      if (before !== null && after === null) {
        this.#live--;
        this.emitLocal('expire', rec.key, before);
        this.emitLocal('change', rec.key, null);
      } else if (before !== after) this.emitLocal('change', rec.key, after);
    }
    if (this.#idle.size > 0) {
      for (const source of this.#idle) {
        const seen = this.sources[source];
        if (seen === undefined) this.#idle.delete(source);
        else if (seen <= cutoff) {
          delete this.sources[source];
          this.#idle.delete(source);
        }
      }
    }
    if (this.#byAge.size > 2 * this.#writes + 64) this.#byAge.filter((w) => !w.dead);
  }

  /** Evicts the least recently written keys beyond maxSize. */
  #evict(): void {
    if (this.maxSize === Number.POSITIVE_INFINITY) return;
    while (this.#live > this.maxSize || this.#records.size > 2 * this.maxSize + 16) {
      const rec = this.#byStamp.pop();
      if (rec === undefined) break;
      if (this.#records.get(rec.key) !== rec) continue;
      if (rec.stamp > rec.queued) {
        // Written since it was queued: queue it again under its newer stamp.
        rec.queued = rec.stamp;
        this.#byStamp.push(rec);
        continue;
      }
      const value = rec.value();
      if (rec.stamp > this.#evictedUpTo) this.#evictedUpTo = rec.stamp;
      this.#drop(rec);
      if (value !== null) {
        this.#live--;
        this.emitLocal('evict', rec.key, value);
        this.emitLocal('change', rec.key, null);
      }
    }
    if (this.#byStamp.size > 2 * this.#records.size + 64) this.#byStamp.filter((rec) => this.#records.get(rec.key) === rec);
  }

  /** Keeps one timer, for the next expiry, so memory is freed even when nobody reads. */
  #schedule(): void {
    if (this.maxAgeMs === Number.POSITIVE_INFINITY || this.disposed) return;
    const top = this.#byAge.peek();
    if (top === undefined) return;
    const at = top.ts + this.maxAgeMs;
    if (this.#timer !== null && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    const delay = Math.min(Math.max(0, at - this.now()) + 1, 2 ** 31 - 1);
    // The timer holds the model weakly: a model its user dropped without dispose() is collected.
    const ref = new WeakRef(this);
    this.#timer = setTimeout(() => {
      const model = ref.deref();
      if (model !== undefined) model.#onTimer();
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #onTimer(): void {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#sweep();
    this.#schedule();
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}

function toUpdate(write: Write): Update<ExpiringChange> {
  let value: unknown;
  if (write.names === null || write.extra !== undefined) value = write.value;
  else {
    const obj: Record<string, unknown> = {};
    const fields = write.rec.fields;
    for (const name of write.names) {
      const field = fields?.get(name);
      if (field?.write === write)
        Object.defineProperty(obj, name, { value: field.value, enumerable: true, writable: true, configurable: true });
    }
    value = obj;
  }
  const update: Update<ExpiringChange> = [[write.rec.key, value], write.ts, write.source];
  if (write.extra !== undefined) update.push(...write.extra);
  return update;
}
