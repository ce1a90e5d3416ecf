/**
 * @module doc/doc
 * `Doc`: a replicated table of rows, with the crdt 3.6.4 API and wire.
 *
 * Wire: a change is `[rowId, partialRow]` (the fields that changed) or `[rowId, null]` (delete the
 * row): `[["r1",{"id":"r1","name":"ada"}],ts,"A"]`, `[["r1",null],ts,"A"]`.
 *
 * Semantics: last write wins per row and per field, by (ts, source). A deletion at stamp D
 * removes every field written before D, including ones that arrive later, so a row deleted while
 * a peer was away is deleted there too after it reconnects, whatever the order of arrival;
 * fields written after D bring the row back with just those fields.
 *
 * Fixed from crdt: its history stored a deletion as `[null, ts, source]` (the row id lost), so a
 * deletion never reached a replica through history (crdt issue #40) and plain peers got lines
 * they refuse; here the deletion is kept as `[rowId, null]` and sent as such. crdt deleted only
 * the fields it had seen, so a field arriving after the deletion revived the row on one replica
 * and not on another; here the deletion's stamp decides. `doc.get(id)` of an unknown row made a
 * local row that `toJSON` showed but no peer ever saw; here a row exists once it has fields.
 * An exact `_sort` tie in a Seq is ordered by row id instead of being "nudged" by a new write on
 * every replica.
 *
 * Theory of operation: each row keeps its field values, and per field the update (a {@link Rec})
 * that set it; one update touching several fields shares one Rec, and `history` sends one line
 * per Rec with the fields it still wins. Recs are indexed per source (HistoryIndex), so a
 * handshake costs what the peer lacks.
 *
 * What it keeps, and for how long: the fields of live rows; per deleted row, its id and the
 * deletion's stamp for `tombstoneTtlMs` (default: forever), then collected, and a peer older than
 * a collected deletion gets a reset (see `_tombstones.ts`). Superseded field values are dropped
 * at once.
 *
 * Bad input: a row id that is not a string, `__proto__` as an id or field, a change that is not
 * `[id, object|null]`, or a change of the `id` field to another value: refused (the stream gets
 * a typed error; the model is unchanged). crdt's own `[null, ts, source]` history lines are
 * tolerated: reported as `invalid` and skipped, the stream stays open.
 */
import { createError, LocalProtocolError } from '../../errors.js';
import { HistoryIndex } from '../../protocol/history.js';
import { type Clock, isForbiddenName, type Update } from '../../protocol/update.js';
import { type ChangeProblem, type ResetCollector, Scuttlebutt, type ScuttlebuttOptions } from '../../scuttlebutt.js';
import { createId } from '../../util.js';
import { assertSchema, checkSchema, type SchemaOption, type StandardSchemaV1 } from '../_schema.js';
import { keyedReset, type TombstoneCollector, type TombstoneOptions } from '../_tombstones.js';
import { beats, Rec, RowState } from './_row-state.js';
import { Row } from './row.js';
import { Seq } from './seq.js';
import { RowSet, type SetFilter } from './set.js';

/** A Doc change: `[rowId, partialRow]`, or `[rowId, null]` to delete the row. */
export type DocChange = [rowId: string, changes: Record<string, unknown> | null];

/** Options of {@link Doc}. */
export interface DocOptions<T extends Record<string, unknown> = Record<string, unknown>>
  extends ScuttlebuttOptions,
    SchemaOption<Partial<T>>,
    TombstoneOptions {}

/** Something told about every row change: the Doc's Sets and Seqs. */
export interface RowObserver {
  /** `changed` has the fields that changed, or is `null` when the row was deleted. */
  rowChanged(state: RowState, changed: Record<string, unknown> | null): void;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A replicated document of rows.
 *
 * @example
 * ```ts
 * const a = new Doc('A'), b = new Doc('B')
 * const s = a.createStream(); s.pipe(b.createStream()).pipe(s)
 * a.add({ id: 'r1', name: 'ada' })
 * a.rm('r1') // deleted on b too, even if b was away when it happened
 * ```
 */
export class Doc<T extends Record<string, unknown> = Record<string, unknown>> extends Scuttlebutt<DocChange> {
  readonly #rows = new Map<string, RowState>();
  readonly #index = new HistoryIndex<Rec>();
  readonly #schema: StandardSchemaV1<unknown, Partial<T>> | undefined;
  readonly #observers = new Set<RowObserver>();
  readonly #sets = new Map<string, RowSet<T>>();
  #checked = false;
  #live = 0;
  /** Number of deleted rows remembered. */
  #deleted = 0;
  readonly #tombstones: TombstoneCollector<Rec>;

  /**
   * @param options - an id, or model options plus `schema` (a Standard Schema for PARTIAL rows:
   *   each update carries only the fields it changes, so use e.g. `z.object({...}).partial()`)
   *   and `tombstoneTtlMs`
   */
  constructor(options?: string | DocOptions<T>) {
    super(options);
    this.#schema = typeof options === 'object' && options !== null ? assertSchema<Partial<T>>(options.schema) : undefined;
    this.#tombstones = this.collectsTombstones<Rec>(options, (rec) => this.#forgetDeletion(rec));
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    // crdt 3.6.4 sends a deleted row's history as [null, ts, source] (its issue #40): tolerated, see applyUpdate.
    if (change === null) return null;
    if (!Array.isArray(change) || change.length !== 2) return 'a Doc change must be [rowId, partialRow | null]';
    const [id, changes] = change as [unknown, unknown];
    if (typeof id !== 'string') return `a row id must be a string, got ${id === null ? 'null' : typeof id}`;
    if (isForbiddenName(id)) return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'a row id must not be "__proto__"' };
    if (changes === null) return null;
    if (typeof changes !== 'object' || Array.isArray(changes)) return 'a row change must be an object or null';
    for (const name of Object.keys(changes)) {
      if (isForbiddenName(name)) return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'a field must not be "__proto__"' };
    }
    const newId = (changes as Record<string, unknown>).id;
    if (newId !== undefined && newId !== id) return `the id of row "${id}" cannot change`;
    return null;
  }

  /** Number of live rows. */
  get size(): number {
    return this.#live;
  }

  /** Number of deleted rows still remembered (tombstones). */
  get tombstoneCount(): number {
    return this.#deleted;
  }

  /** Whether a row exists. */
  has(id: string): boolean {
    return (this.#rows.get(id)?.count ?? 0) > 0;
  }

  /** The ids of the live rows. */
  ids(): string[] {
    const out: string[] = [];
    for (const [id, row] of this.#rows) if (row.count > 0) out.push(id);
    return out;
  }

  /**
   * A handle on a row (made if needed; a row with no fields is not in `toJSON` and not sent).
   * @throws TypeError for a non-string id, RangeError for `"__proto__"`
   */
  get(id: string): Row<T> {
    return this.#handle(this.#state(id));
  }

  /**
   * Adds a row (one update); its id is `initial.id`, or a new random one.
   * @returns its handle
   */
  add(initial: Partial<T> & { id?: string }): Row<T> {
    const id = initial.id === undefined ? createId() : initial.id;
    const changes: Record<string, unknown> = { ...initial, id };
    this.set(id, changes as Partial<T>);
    return this.get(id);
  }

  /**
   * Sets fields of a row (one update); `null` deletes the row, as crdt's `set(id, null)`.
   * @throws TypeError / RangeError for a bad id or field, LocalProtocolError ERR_SB_INVALID_ARGUMENT
   *   when the id field would change or the schema refuses the fields
   */
  set(id: string, changes: Partial<T> | null): Row<T> {
    const state = this.#state(id);
    if (changes === null) {
      this.localUpdate([id, null]);
      return this.#handle(state);
    }
    if (typeof changes !== 'object' || Array.isArray(changes))
      throw new TypeError(`"changes" expected object or null, got ${typeof changes}`);
    const copy: Record<string, unknown> = {};
    for (const name of Object.keys(changes)) {
      if (isForbiddenName(name)) throw new RangeError('a field must not be "__proto__"');
      const value = (changes as Record<string, unknown>)[name];
      define(copy, name, value === undefined ? null : value);
    }
    if (copy.id !== undefined && copy.id !== id)
      throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', `the id of row "${id}" cannot change`);
    if (this.#schema !== undefined) {
      const problem = checkSchema(this.#schema, copy);
      if (problem !== null) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', `row "${id}": ${problem}`);
    }
    this.#checked = true;
    try {
      this.localUpdate([id, copy]);
    } finally {
      this.#checked = false;
    }
    return this.#handle(state);
  }

  /** Deletes a row (one update `[id, null]`), also from every Set and Seq. */
  rm(id: string): void {
    this.set(id, null);
  }

  /** A Set of the rows whose `key` field equals `value` (the same Set for the same pair), or that pass `filter`. */
  createSet(key: string, value: unknown): RowSet<T>;
  createSet(filter: SetFilter): RowSet<T>;
  createSet(keyOrFilter: string | SetFilter, value?: unknown): RowSet<T> {
    return this.#view(keyOrFilter, value, false) as RowSet<T>;
  }

  /** A Seq (an ordered Set, by the `_sort` field) of the rows whose `key` equals `value`, or that pass `filter`. */
  createSeq(key: string, value: unknown): Seq<T>;
  createSeq(filter: SetFilter): Seq<T>;
  createSeq(keyOrFilter: string | SetFilter, value?: unknown): Seq<T> {
    return this.#view(keyOrFilter, value, true) as Seq<T>;
  }

  #view(keyOrFilter: string | SetFilter, value: unknown, ordered: boolean): RowSet<T> {
    if (typeof keyOrFilter === 'string') {
      if (isForbiddenName(keyOrFilter)) throw new RangeError('a Set key must not be "__proto__"');
      const name = `${ordered ? 'seq' : 'set'}:${keyOrFilter}:${JSON.stringify(value)}`;
      const existing = this.#sets.get(name);
      if (existing !== undefined) return existing;
      const view = ordered ? new Seq<T>(this, keyOrFilter, value) : new RowSet<T>(this, keyOrFilter, value);
      this.#sets.set(name, view);
      return view;
    }
    if (typeof keyOrFilter !== 'function') throw new TypeError('createSet expected (key, value) or a filter function');
    return ordered ? new Seq<T>(this, keyOrFilter) : new RowSet<T>(this, keyOrFilter);
  }

  /** The live rows, `{ id: { id, ...fields } }`. */
  toJSON(): Record<string, T & { id: string }> {
    const out: Record<string, T & { id: string }> = {};
    for (const [id, row] of this.#rows) if (row.count > 0) define(out, id, row.snapshot());
    return out;
  }

  #forgetDeletion(rec: Rec): boolean {
    const row = rec.row;
    if (row.deleted !== rec) return false; // deleted again since
    this.#index.remove(rec);
    row.deleted = null;
    if (row.count === 0) {
      this.#deleted--;
      if (row.liveHandle() === null) this.#rows.delete(row.id);
    }
    return true;
  }

  /**
   * Takes a reset snapshot: fields the sender did not send, set by a write it had seen, were
   * deleted there (with their row) and collected; they are dropped here too, and a row left with
   * no field is removed (`remove`, and the views are told).
   */
  override beginReset(senderClock: Readonly<Clock>): ResetCollector {
    const rows = this.#rows;
    return keyedReset(senderClock, {
      identitiesOf: (update) => {
        const change = update[0];
        if (!Array.isArray(change) || typeof change[0] !== 'string') return [];
        const fields = change[1];
        if (typeof fields !== 'object' || fields === null) return [];
        return Object.keys(fields).map((name) => fieldIdentity(change[0] as string, name));
      },
      *held() {
        for (const [id, row] of rows) for (const name in row.recs) yield [fieldIdentity(id, name), row.recs[name] as Rec] as const;
      },
      dropIdentity: (identity) => {
        const [id, name] = JSON.parse(identity) as [string, string];
        const row = rows.get(id) as RowState;
        const wasLive = row.count > 0;
        this.#release(row.recs[name] as Rec);
        delete row.values[name];
        delete row.recs[name];
        row.count--;
        const removed: Record<string, unknown> = {};
        define(removed, name, undefined);
        this.#afterFieldsRemoved(row, removed, wasLive, false);
      },
    });
  }

  override history(sources?: Readonly<Clock> | null): Update<DocChange>[] {
    return this.#index.since(sources).map(toUpdate);
  }

  protected override *replay(sources: Readonly<Clock>): Iterable<Update> {
    for (const rec of this.#index.since(sources)) yield toUpdate(rec);
  }

  override applyUpdate(update: Update<DocChange>): boolean {
    // Read once and cleared: a listener fired below may apply a remote update, which must be checked.
    const checked = this.#checked;
    this.#checked = false;
    const change = update[0];
    if (change === null) {
      this.emitLocal(
        'invalid',
        createError(
          'ERR_SB_INVALID_UPDATE',
          'skipped a [null, ts, source] line: a crdt 3.6.4 peer lost the id of a deleted row (crdt #40)',
          {
            input: update,
          },
        ),
        update,
      );
      return false;
    }
    const [id, changes] = change;
    const ts = update[1];
    const source = update[2];
    const extra = update.length > 3 ? update.slice(3) : undefined;
    const existing = this.#rows.get(id);
    if (changes === null) return this.#delete(existing ?? this.#state(id), ts, source, extra, change);
    const deleted = existing?.deleted ?? null;
    if (deleted !== null && !beats(ts, source, deleted)) return false;
    const names: string[] = [];
    for (const name of Object.keys(changes)) {
      const current = existing?.recs[name];
      if (current !== undefined && !beats(ts, source, current)) continue;
      names.push(name);
    }
    if (names.length === 0) return false;
    if (this.#schema !== undefined && !checked) {
      const problem = checkSchema(this.#schema, changes);
      if (problem !== null) {
        this.emitLocal('invalid', createError('ERR_SB_INVALID_UPDATE', `row "${id}": ${problem}`, { input: update }), update);
        return false;
      }
    }
    const row = existing ?? this.#state(id);
    const wasLive = row.count > 0;
    const rec = new Rec(ts, source, extra, row, names, extra === undefined ? undefined : changes);
    const changed: Record<string, unknown> = {};
    for (const name of names) {
      const value = changes[name] === undefined ? null : changes[name];
      const current = row.recs[name];
      if (current !== undefined) this.#release(current);
      else row.count++;
      row.values[name] = value;
      row.recs[name] = rec;
      rec.live++;
      define(changed, name, value);
    }
    this.#index.add(rec);
    if (!wasLive) {
      this.#live++;
      if (row.deleted !== null) this.#deleted--;
    }
    this.#notify(row, changed, wasLive, update, changes);
    return true;
  }

  #delete(row: RowState, ts: number, source: string, extra: unknown[] | undefined, change: DocChange): boolean {
    const previous = row.deleted;
    if (previous !== null && !beats(ts, source, previous)) return false;
    const wasLive = row.count > 0;
    const rec = new Rec(ts, source, extra, row, null, extra === undefined ? undefined : null);
    if (previous !== null) this.#index.remove(previous);
    row.deleted = rec;
    this.#index.add(rec);
    const removed: Record<string, unknown> = {};
    let removedAny = false;
    for (const name of Object.keys(row.recs)) {
      const current = row.recs[name] as Rec;
      if (!beats(ts, source, current)) continue;
      this.#release(current);
      delete row.values[name];
      delete row.recs[name];
      row.count--;
      define(removed, name, undefined);
      removedAny = true;
    }
    this.#tombstones.add(rec);
    if (removedAny || !wasLive) this.#afterFieldsRemoved(row, removed, wasLive, previous === null);
    this.emitLocal('update', [change, ts, source]);
    this.#tombstones.tick();
    return true;
  }

  /**
   * Tells the views, the handle and the listeners that fields of a row are gone, and keeps the
   * counts. `newTombstone`: the row now has a deletion stamp it did not have (so an emptied row
   * counts as a tombstone).
   */
  #afterFieldsRemoved(row: RowState, removed: Record<string, unknown>, wasLive: boolean, newTombstone: boolean): void {
    const isLive = row.count > 0;
    if (isLive) {
      // Fields written before the deletion are gone, newer ones keep the row: tell the views.
      for (const observer of this.#observers) observer.rowChanged(row, removed);
      const handle = row.liveHandle() as Row<T> | null;
      if (handle !== null) handle.emit('change', removed);
      return;
    }
    if (row.deleted !== null && (wasLive || newTombstone)) this.#deleted++;
    if (wasLive) {
      this.#live--;
      for (const observer of this.#observers) observer.rowChanged(row, null);
      const handle = row.liveHandle() as Row<T> | null;
      if (handle !== null) handle.emit('removed');
      if (this.listenerCount('remove') > 0) this.emitLocal('remove', this.#handle(row));
    }
    // No field left: the value objects can go (the deletion stamp, if any, stays).
    row.values = {};
    row.recs = {};
    if (row.deleted === null && row.liveHandle() === null) this.#rows.delete(row.id);
  }

  #notify(
    row: RowState,
    changed: Record<string, unknown>,
    wasLive: boolean,
    update: Update<DocChange>,
    changes: Record<string, unknown>,
  ): void {
    const handle = row.liveHandle() as Row<T> | null;
    if (!wasLive && (this.listenerCount('add') > 0 || this.listenerCount('create') > 0)) {
      const h = this.#handle(row);
      this.emitLocal('add', h);
      this.emitLocal('create', h);
    }
    for (const observer of this.#observers) observer.rowChanged(row, changed);
    if (handle !== null) {
      handle.emit('update', update, changed);
      handle.emit('changes', changes, changed);
      handle.emit('change', changed);
    }
    this.emitLocal('update', update);
    if (this.listenerCount('row_update') > 0) this.emitLocal('row_update', this.#handle(row));
  }

  #release(rec: Rec): void {
    if (--rec.live === 0) {
      this.#index.remove(rec);
      if (this.listenerCount('_remove') > 0) this.emitLocal('_remove', toUpdate(rec));
    }
  }

  #state(id: string): RowState {
    if (typeof id !== 'string') throw new TypeError(`"id" expected string, got ${id === null ? 'null' : typeof id}`);
    if (isForbiddenName(id)) throw new RangeError('a row id must not be "__proto__"');
    let row = this.#rows.get(id);
    if (row === undefined) {
      row = new RowState(id);
      this.#rows.set(id, row);
    }
    return row;
  }

  #handle(row: RowState): Row<T> {
    let handle = row.liveHandle() as Row<T> | null;
    if (handle === null) {
      handle = new Row<T>(this as unknown as Doc, row);
      row.handle = new WeakRef(handle);
    }
    return handle;
  }

  /** @internal For Sets and Seqs: the handle of a row state. */
  rowHandle(row: RowState): Row<T> {
    return this.#handle(row);
  }

  /** @internal For Sets and Seqs: every row state, live or not. */
  rowStates(): IterableIterator<RowState> {
    return this.#rows.values();
  }

  /** @internal For Sets and Seqs: be told of every row change. */
  observe(observer: RowObserver): void {
    this.#observers.add(observer);
  }
}

/** A field of a row as one identity for a reset (ids and names may hold any character). */
function fieldIdentity(id: string, name: string): string {
  return JSON.stringify([id, name]);
}

function toUpdate(rec: Rec): Update<DocChange> {
  let changes: Record<string, unknown> | null;
  if (rec.signed !== undefined) changes = rec.signed;
  else if (rec.names === null) changes = null;
  else {
    changes = {};
    const row = rec.row;
    for (const name of rec.names) if (row.recs[name] === rec) define(changes, name, row.values[name]);
  }
  const update: Update<DocChange> = [[rec.row.id, changes], rec.ts, rec.source];
  if (rec.extra !== undefined) update.push(...rec.extra);
  return update;
}
