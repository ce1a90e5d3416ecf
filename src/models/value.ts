/**
 * @module value
 * `Value`: one replicated value, the simplest model (after r-value 1.1.5, whose wire it keeps:
 * the change is the raw value, `[value, ts, source]`). The newest (ts, source) wins; r-value
 * emitted `update` even for a stale value that did not win, this emits only real changes.
 */
import type { Clock, Update } from '../protocol/update.js';
import { isNewerThan } from '../protocol/update.js';
import { Scuttlebutt, type ScuttlebuttOptions } from '../scuttlebutt.js';

/**
 * A single replicated value.
 *
 * @example
 * ```ts
 * const v = new Value()
 * v.on('update', (value) => render(value))
 * v.set({ title: 'hello' })
 * ```
 */
export class Value<V = unknown> extends Scuttlebutt<V> {
  #current: Update<V> | null = null;

  /** @param options - an id, or model options */
  constructor(options?: string | ScuttlebuttOptions) {
    super(options);
  }

  /** Sets the value everywhere. */
  set(value: V): this {
    return this.localUpdate(value === undefined ? (null as V) : value);
  }

  /** The current value, `null` before any was set. */
  get(): V | null {
    return this.#current === null ? null : this.#current[0];
  }

  toJSON(): V | null {
    return this.get();
  }

  override history(sources?: Readonly<Clock> | null): Update<V>[] {
    const current = this.#current;
    return current !== null && isNewerThan(current, sources) ? [current.slice() as Update<V>] : [];
  }

  override applyUpdate(update: Update<V>): boolean {
    const current = this.#current;
    if (current !== null && !(update[1] > current[1] || (update[1] === current[1] && update[2] > current[2]))) return false;
    if (current !== null && this.listenerCount('_remove') > 0) this.emitLocal('_remove', current);
    this.#current = update;
    this.emitLocal('update', update[0]);
    this.emitLocal('change', update[0]);
    return true;
  }
}
