/**
 * @module doc/row
 * `Row`: a handle on one row of a {@link Doc}, with crdt 3.6.4's API (`set`, `get`, `toJSON`,
 * events `change`, `changes`, `update`, `removed`). Its state lives in the Doc; the handle is
 * made on demand, so a Doc of a million rows holds no million event emitters.
 */
import { EventEmitter } from 'node:events';
import type { RowState } from './_row-state.js';

/** What a Row needs of its Doc. */
export interface RowOwner {
  set(id: string, changes: Record<string, unknown>): unknown;
}

/**
 * One row of a Doc.
 *
 * @example
 * ```ts
 * const row = doc.add({ id: 'r1', name: 'ada' })
 * row.on('change', (changed) => console.log(changed))
 * row.set('name', 'grace') // [["r1",{"name":"grace"}],ts,id]
 * ```
 */
export class Row<T extends Record<string, unknown> = Record<string, unknown>> extends EventEmitter {
  /** @internal */
  readonly state_: RowState;
  readonly #doc: RowOwner;

  /** @internal Made by the Doc. */
  constructor(doc: RowOwner, state: RowState) {
    super();
    this.setMaxListeners(Number.POSITIVE_INFINITY);
    this.#doc = doc;
    this.state_ = state;
  }

  /** The row id (it cannot change). */
  get id(): string {
    return this.state_.id;
  }

  /** The row's state, `{ id, ...fields }` (a copy). */
  get state(): T & { id: string } {
    return this.state_.snapshot() as T & { id: string };
  }

  /** Whether the row exists (has fields, and is not deleted). */
  get exists(): boolean {
    return this.state_.count > 0;
  }

  /** One field, or with no argument the whole state (a copy). */
  get(): T & { id: string };
  get<K extends keyof T & string>(key: K): T[K] | undefined;
  get(key?: string): unknown {
    if (key === undefined) return this.state;
    if (key === 'id') return this.state_.id;
    return Object.hasOwn(this.state_.values, key) ? this.state_.values[key] : undefined;
  }

  /**
   * Sets one field, or several at once (one update). `null` is a value, as in crdt; delete the
   * row with `doc.rm(id)`.
   * @throws RangeError when `id` would change, or a field is `"__proto__"`
   */
  set<K extends keyof T & string>(key: K, value: T[K] | null): this;
  set(changes: Partial<T>): this;
  set(keyOrChanges: string | Partial<T>, value?: unknown): this {
    const changes: Record<string, unknown> =
      typeof keyOrChanges === 'string'
        ? { [keyOrChanges]: value === undefined ? null : value }
        : { ...(keyOrChanges as Record<string, unknown>) };
    this.#doc.set(this.state_.id, changes);
    return this;
  }

  /** The state, `{ id, ...fields }`. */
  toJSON(): T & { id: string } {
    return this.state;
  }
}
