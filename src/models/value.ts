/**
 * @module value
 * `Value`: one replicated value, the simplest model (after r-value 1.1.5, whose wire it keeps:
 * the change is the raw value, `[value, ts, source]`). The newest (ts, source) wins; r-value
 * emitted `update` even for a stale value that did not win, this emits only real changes.
 * Typed values: `new Value({ schema })` takes a Standard Schema v1 validator (see `_schema.ts`).
 */

import { createError, LocalProtocolError } from '../errors.js';
import type { Clock, Update } from '../protocol/update.js';
import { isNewerThan } from '../protocol/update.js';
import { Scuttlebutt, type ScuttlebuttOptions } from '../scuttlebutt.js';
import { assertSchema, checkSchema, type SchemaOption, type StandardSchemaV1 } from './_schema.js';

/** Options of {@link Value}: the model options plus a `schema` for the value. */
export interface ValueOptions<V = unknown> extends ScuttlebuttOptions, SchemaOption<V> {}

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
  readonly #schema: StandardSchemaV1<unknown, V> | undefined;
  #checked = false;

  /**
   * @param options - an id, or model options plus `schema`
   * @throws TypeError for a `schema` that is not a Standard Schema v1 validator
   */
  constructor(options?: string | ValueOptions<V>) {
    super(options);
    this.#schema = typeof options === 'object' && options !== null ? assertSchema<V>(options.schema) : undefined;
  }

  /**
   * Sets the value everywhere.
   * @throws LocalProtocolError ERR_SB_INVALID_ARGUMENT for a value the schema refuses
   */
  set(value: V): this {
    if (this.#schema === undefined || value === null || value === undefined)
      return this.localUpdate(value === undefined ? (null as V) : value);
    const problem = checkSchema(this.#schema, value);
    if (problem !== null) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', problem);
    this.#checked = true;
    try {
      return this.localUpdate(value);
    } finally {
      this.#checked = false;
    }
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
    // Read once and cleared: a listener fired below may apply a remote update, which must be checked.
    const checked = this.#checked;
    this.#checked = false;
    const current = this.#current;
    if (current !== null && !(update[1] > current[1] || (update[1] === current[1] && update[2] > current[2]))) return false;
    if (this.#schema !== undefined && update[0] !== null && !checked) {
      const problem = checkSchema(this.#schema, update[0]);
      if (problem !== null) {
        this.emitLocal('invalid', createError('ERR_SB_INVALID_UPDATE', problem, { input: update }), update);
        return false;
      }
    }
    if (current !== null && this.listenerCount('_remove') > 0) this.emitLocal('_remove', current);
    this.#current = update;
    this.emitLocal('update', update[0]);
    this.emitLocal('change', update[0]);
    return true;
  }
}
