/**
 * @module doc/seq
 * `Seq`: an ordered {@link Set} (crdt 3.6.4's Seq). Members are ordered by their `_sort` field,
 * a position key (see `_position.ts`), then by row id; `insert`, `push`, `before`… write a new
 * `_sort` between the neighbours (one update). Event `move`(row) when a member's `_sort` changes.
 */
import { LocalProtocolError } from '../../errors.js';
import { createId } from '../../util.js';
import { between, digitsFor, isAlphabetString } from '../_position.js';
import type { Row } from './row.js';
import { RowSet } from './set.js';

type RowRef = string | Row<Record<string, unknown>> | { id: string } | null | undefined;

const sortOf = (row: Row<Record<string, unknown>>): string => {
  const s = row.get('_sort');
  return typeof s === 'string' ? s : '';
};

/**
 * An ordered set of rows.
 *
 * @example
 * ```ts
 * const todo = doc.createSeq('list', 'todo')
 * todo.push({ id: 't1', text: 'milk' })
 * todo.unshift({ id: 't0', text: 'bread' })
 * todo.toJSON().map((r) => r.text) // ['bread', 'milk']
 * ```
 */
export class Seq<T extends Record<string, unknown> = Record<string, unknown>> extends RowSet<T> {
  #sorted: Row<T>[] | null = null;

  protected override joined(): void {
    this.#sorted = null;
  }

  protected override left(): void {
    this.#sorted = null;
  }

  protected override updated(row: Row<T>, changed: Record<string, unknown>): void {
    if (!Object.hasOwn(changed, '_sort')) return;
    this.#sorted = null;
    this.emit('move', row);
  }

  /** The members ordered by `_sort`, then id. */
  override asArray(): Row<T>[] {
    if (this.#sorted === null) {
      const rows = [...this.members.values()];
      const keyed = rows.map((row) => ({ row, s: sortOf(row as unknown as Row<Record<string, unknown>>) }));
      keyed.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0));
      this.#sorted = keyed.map((k) => k.row);
    }
    return this.#sorted.slice();
  }

  override toJSON(): Array<T & { id: string }> {
    return this.asArray().map((row) => row.state);
  }

  /** Number of members (a method, as in crdt). */
  length(): number {
    return this.members.size;
  }

  first(): Row<T> | undefined {
    return this.asArray()[0];
  }

  last(): Row<T> | undefined {
    const all = this.asArray();
    return all[all.length - 1];
  }

  at(index: number): Row<T> | undefined {
    return this.asArray()[index];
  }

  indexOf(row: RowRef): number {
    const member = row == null ? undefined : this.get(row as string | Row<T>);
    return member === undefined ? -1 : this.asArray().indexOf(member);
  }

  /** The member just before `row` (the last one for none). */
  prev(row?: RowRef): Row<T> | undefined {
    const all = this.asArray();
    const i = row == null ? all.length : this.indexOf(row);
    return i > 0 ? all[i - 1] : undefined;
  }

  /** The member just after `row` (the first one for none). */
  next(row?: RowRef): Row<T> | undefined {
    const all = this.asArray();
    const i = row == null ? -1 : this.indexOf(row);
    return i === -1 && row != null ? undefined : all[i + 1];
  }

  /**
   * Puts `obj` (a new row's fields, or an existing row or id) between two members (ends when
   * missing), as one update that sets its `_sort` (and the Seq's key field).
   * @returns the row
   * @throws LocalProtocolError ERR_SB_INVALID_ARGUMENT when a neighbour's `_sort` is not a position key
   */
  insert(obj: (Partial<T> & { id?: string }) | Row<T> | string, before?: RowRef, after?: RowRef): Row<T> {
    const lo = this.#sortKey(before);
    const hi = this.#sortKey(after);
    const [_sort] = lo !== null && hi !== null && !(lo < hi) ? between(hi, lo, 1) : between(lo, hi, 1, digitsFor(this.members.size + 1));
    const changes: Record<string, unknown> = { _sort };
    if (this.key !== undefined) changes[this.key] = this.value;
    if (typeof obj === 'string' || (typeof (obj as Row<T>).set === 'function' && typeof (obj as Row<T>).get === 'function')) {
      const id = typeof obj === 'string' ? obj : (obj as Row<T>).id;
      this.doc.set(id, changes as Partial<T>);
      return this.doc.get(id);
    }
    const fields = { ...(obj as Record<string, unknown>) };
    const id = typeof fields.id === 'string' ? fields.id : typeof fields._id === 'string' ? fields._id : createId();
    Object.assign(fields, changes, { id });
    this.doc.set(id, fields as Partial<T>);
    return this.doc.get(id);
  }

  #sortKey(ref: RowRef): string | null {
    if (ref == null) return null;
    const member = this.get(ref as string | Row<T>);
    if (member === undefined) return null;
    const s = member.get('_sort' as keyof T & string);
    if (s === undefined || s === null) return null;
    if (!isAlphabetString(s))
      throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', `row "${member.id}" has a _sort that is not a position key`);
    return s;
  }

  /** Inserts `obj` just before `ref`. */
  before(obj: (Partial<T> & { id?: string }) | Row<T> | string, ref: RowRef): Row<T> {
    return this.insert(obj, this.prev(ref) ?? null, ref);
  }

  /** Inserts `obj` just after `ref`. */
  after(obj: (Partial<T> & { id?: string }) | Row<T> | string, ref: RowRef): Row<T> {
    return this.insert(obj, ref, this.next(ref) ?? null);
  }

  push(obj: (Partial<T> & { id?: string }) | Row<T> | string): Row<T> {
    return this.insert(obj, this.last() ?? null, null);
  }

  unshift(obj: (Partial<T> & { id?: string }) | Row<T> | string): Row<T> {
    return this.insert(obj, null, this.first() ?? null);
  }

  /** Takes the last member out of the Seq (sets its key field to null). */
  pop(): Row<T> | undefined {
    const last = this.last();
    return last === undefined ? undefined : this.remove(last);
  }

  /** Takes the first member out of the Seq. */
  shift(): Row<T> | undefined {
    const first = this.first();
    return first === undefined ? undefined : this.remove(first);
  }
}
