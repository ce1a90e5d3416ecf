/**
 * @module doc/set
 * `RowSet` (crdt's `Set`): a live view of the rows of a {@link Doc} whose `key` field equals a value, or that
 * pass a filter (crdt 3.6.4's Set). It holds no data of its own: membership follows the rows.
 * Events: `add`(row), `remove`(row), `changes`(row, changed).
 */
import { EventEmitter } from 'node:events';
import { LocalProtocolError } from '../../errors.js';
import type { RowState } from './_row-state.js';
import type { Doc, RowObserver } from './doc.js';
import type { Row } from './row.js';

/** A filter on a row's state `{ id, ...fields }`; keep it pure. */
export type SetFilter = (state: Record<string, unknown>) => boolean;

/**
 * The rows of a Doc that match a field value or a filter.
 *
 * @example
 * ```ts
 * const cheeses = doc.createSet('type', 'cheese')
 * cheeses.on('add', (row) => console.log(row.get('name')))
 * ```
 */
export class RowSet<T extends Record<string, unknown> = Record<string, unknown>> extends EventEmitter implements RowObserver {
  /** The field this Set selects on (undefined for a filter Set). */
  readonly key: string | undefined;
  /** The value of {@link key} that members have. */
  readonly value: unknown;
  readonly filter: SetFilter | undefined;
  protected readonly doc: Doc<T>;
  /** Members, in the order they joined. */
  protected readonly members = new Map<string, Row<T>>();

  /** @internal Made by `doc.createSet` / `doc.createSeq`. */
  constructor(doc: Doc<T>, keyOrFilter: string | SetFilter, value?: unknown) {
    super();
    this.setMaxListeners(Number.POSITIVE_INFINITY);
    this.doc = doc;
    if (typeof keyOrFilter === 'function') {
      this.filter = keyOrFilter;
      this.key = undefined;
    } else {
      this.key = keyOrFilter;
      this.value = value;
      this.filter = undefined;
    }
    for (const state of doc.rowStates()) if (state.count > 0 && this.#matches(state)) this.members.set(state.id, doc.rowHandle(state));
    doc.observe(this);
  }

  #matches(state: RowState): boolean {
    if (this.key !== undefined) return Object.hasOwn(state.values, this.key) && state.values[this.key] === this.value;
    return (this.filter as SetFilter)(state.snapshot());
  }

  /** @internal Called by the Doc for every row change. */
  rowChanged(state: RowState, changed: Record<string, unknown> | null): void {
    const had = this.members.has(state.id);
    const has = changed !== null && state.count > 0 && this.#matches(state);
    if (has && !had) {
      const row = this.doc.rowHandle(state);
      this.members.set(state.id, row);
      this.joined(row);
      this.emit('add', row);
    } else if (had && !has) {
      const row = this.members.get(state.id) as Row<T>;
      this.members.delete(state.id);
      this.left(row);
      if (changed !== null) this.emit('changes', row, changed);
      this.emit('remove', row);
    } else if (has) {
      const row = this.members.get(state.id) as Row<T>;
      this.updated(row, changed as Record<string, unknown>);
      this.emit('changes', row, changed);
    }
  }

  /** For Seq: a row joined. */
  protected joined(_row: Row<T>): void {}
  /** For Seq: a row left. */
  protected left(_row: Row<T>): void {}
  /** For Seq: a member changed. */
  protected updated(_row: Row<T>, _changed: Record<string, unknown>): void {}

  /** The member rows, in the order they joined (a copy). */
  asArray(): Row<T>[] {
    return [...this.members.values()];
  }

  /** Number of members. */
  get size(): number {
    return this.members.size;
  }

  /** A member by id or handle, or `undefined`. */
  get(row: string | Row<T> | { id: string }): Row<T> | undefined {
    const id = typeof row === 'string' ? row : row?.id;
    return typeof id === 'string' ? this.members.get(id) : undefined;
  }

  /** Whether a row (by id or handle) is a member. */
  has(row: string | Row<T> | { id: string }): boolean {
    return this.get(row) !== undefined;
  }

  /** Calls `fn(row)` for each member. */
  forEach(fn: (row: Row<T>) => void): void {
    for (const row of this.asArray()) fn(row);
  }

  /** Alias of {@link forEach}. */
  each(fn: (row: Row<T>) => void): void {
    this.forEach(fn);
  }

  /** Calls `fn` for each member now, and for each row that joins later. */
  onEach(fn: (row: Row<T>) => void): void {
    this.forEach(fn);
    this.on('add', fn);
  }

  /**
   * Takes a row out of the Set by setting its `key` field to `null` (one update).
   * @throws LocalProtocolError ERR_SB_INVALID_ARGUMENT for a filter Set (it has no field to clear)
   */
  remove(row: string | Row<T> | { id: string }): Row<T> | undefined {
    const member = this.get(row);
    if (member === undefined) return undefined;
    if (this.key === undefined) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', 'a Set made with a filter cannot remove rows');
    member.set(this.key as keyof T & string, null);
    return member;
  }

  /** Alias of {@link remove}. */
  rm(row: string | Row<T> | { id: string }): Row<T> | undefined {
    return this.remove(row);
  }

  /** The members' states, ordered by `_sort` (or id when a row has none). */
  toJSON(): Array<T & { id: string }> {
    const states = this.asArray().map((row) => row.state);
    const sortKey = (s: Record<string, unknown>): string => (typeof s._sort === 'string' ? s._sort : (s.id as string));
    return states.sort((a, b) => {
      const x = sortKey(a);
      const y = sortKey(b);
      return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }
}
