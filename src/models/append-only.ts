/**
 * @module append-only
 * `AppendOnly`: a replicated log of items that can be pushed and removed, with the wire of
 * append-only 0.2.3 (Raynos): a change is `{push: item}` or `{remove: "source:ts"}`, the id of
 * an item being the source and timestamp of its push: `[{"push":{"text":"two"}},ts,"A"]`.
 *
 * Fixed from append-only: a remove spliced both the item and the remove itself out of the store,
 * so a replica that missed the remove never learned of it. Here the remove stays in the history
 * as a small tombstone (the id), so a replica that was away learns it on reconnect, and a push
 * that arrives after its remove (another path through the network) is not shown. Removing an
 * unknown item threw out of the caller; here the local call throws a typed error and a remote
 * remove with a malformed id, or one that names an item pushed after it, is refused as `invalid`.
 *
 * Order: items are listed by (push timestamp, source), the same on every replica.
 *
 * What it keeps, and for how long: every live item; per removed item, its id and the remove's
 * stamp for `tombstoneTtlMs` (default: forever), then collected, and a peer older than a
 * collected remove gets a reset (see `_tombstones.ts`). A removed item's value is dropped at once.
 */
import { createError, LocalProtocolError, type ScuttlebuttError } from '../errors.js';
import { HistoryIndex } from '../protocol/history.js';
import type { Clock, Update } from '../protocol/update.js';
import { type ChangeProblem, type ResetCollector, Scuttlebutt, type ScuttlebuttOptions, type UpdateSink } from '../scuttlebutt.js';
import { assertSchema, checkSchema, type SchemaOption, type StandardSchemaV1 } from './_schema.js';
import { SortedList } from './_sorted-list.js';
import { keyedReset, type TombstoneCollector, type TombstoneOptions } from './_tombstones.js';

/** An AppendOnly change: `{push: item}` or `{remove: "source:ts"}`. */
export type AppendOnlyChange = { push: unknown } | { remove: string };

/** Options of {@link AppendOnly}. */
export interface AppendOnlyOptions<V = unknown> extends ScuttlebuttOptions, SchemaOption<V>, TombstoneOptions {}

class Pushed {
  constructor(
    readonly id: string,
    readonly item: unknown,
    readonly ts: number,
    readonly source: string,
    readonly extra: unknown[] | undefined,
  ) {}
}

class Removal {
  constructor(
    readonly target: string,
    readonly ts: number,
    readonly source: string,
    readonly extra: unknown[] | undefined,
  ) {}
}

const order = (a: Pushed, b: Pushed): number => a.ts - b.ts || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);

/** Splits an item id `"source:ts"`; null when malformed. */
export function parseItemId(id: unknown): { source: string; ts: number } | null {
  if (typeof id !== 'string') return null;
  const i = id.lastIndexOf(':');
  if (i <= 0) return null;
  const ts = Number(id.slice(i + 1));
  if (!Number.isFinite(ts) || ts <= 0 || id.slice(i + 1).trim() === '') return null;
  return { source: id.slice(0, i), ts };
}

/** The id of the item pushed at (source, ts). */
export const itemId = (source: string, ts: number): string => `${source}:${ts}`;

/**
 * A replicated append-only log with removals.
 *
 * @example
 * ```ts
 * const log = new AppendOnly<{ text: string }>('A')
 * const id = log.push({ text: 'hello' })
 * log.remove(id) // reaches every replica, also one that was offline
 * ```
 */
export class AppendOnly<V = unknown> extends Scuttlebutt<AppendOnlyChange> {
  readonly #items = new Map<string, Pushed>();
  readonly #ordered = new SortedList<Pushed>(order);
  readonly #removed = new Map<string, Removal>();
  readonly #index = new HistoryIndex<Pushed | Removal>();
  readonly #schema: StandardSchemaV1<unknown, V> | undefined;
  #checked = false;
  readonly #tombstones: TombstoneCollector<Removal>;

  /** @param options - an id, or model options plus `schema` for the items and `tombstoneTtlMs` */
  constructor(options?: string | AppendOnlyOptions<V>) {
    super(options);
    this.#schema = typeof options === 'object' && options !== null ? assertSchema<V>(options.schema) : undefined;
    this.#tombstones = this.collectsTombstones<Removal>(options, (removal) => {
      if (this.#removed.get(removal.target) !== removal) return false;
      this.#index.remove(removal);
      this.#removed.delete(removal.target);
      return true;
    });
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    if (typeof change !== 'object' || change === null || Array.isArray(change))
      return 'an AppendOnly change must be {push: item} or {remove: id}';
    const keys = Object.keys(change);
    if (keys.length !== 1 || (keys[0] !== 'push' && keys[0] !== 'remove'))
      return 'an AppendOnly change must be {push: item} or {remove: id}';
    if (keys[0] === 'remove' && parseItemId((change as { remove: unknown }).remove) === null)
      return 'a remove must name an item id "source:ts"';
    return null;
  }

  override receiveUpdate(update: Update, from?: UpdateSink | Scuttlebutt<AppendOnlyChange>): boolean | ScuttlebuttError {
    const change = update[0] as { remove?: unknown } | null;
    if (typeof change === 'object' && change !== null && 'remove' in change) {
      const target = parseItemId(change.remove);
      if (target !== null && typeof update[1] === 'number' && target.ts >= update[1]) {
        this.emitLocal(
          'invalid',
          createError('ERR_SB_INVALID_UPDATE', `a remove at ${update[1]} names item "${String(change.remove)}", pushed after it`, {
            input: update,
          }),
          update,
        );
        return false;
      }
    }
    return super.receiveUpdate(update, from);
  }

  /**
   * Appends an item (one update).
   * @returns the item's id, `"source:ts"`
   * @throws LocalProtocolError ERR_SB_INVALID_ARGUMENT for an item the schema refuses
   */
  push(item: V): string {
    if (item === undefined) throw new TypeError('"item" must not be undefined');
    if (this.#schema !== undefined) {
      const problem = checkSchema(this.#schema, item);
      if (problem !== null) throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', problem);
    }
    this.#checked = true;
    try {
      this.localUpdate({ push: item });
    } finally {
      this.#checked = false;
    }
    return itemId(this.id, this.sources[this.id] as number);
  }

  /**
   * Removes an item, by id or by the item object itself (one update).
   * @throws LocalProtocolError ERR_SB_INVALID_ARGUMENT for an unknown or already removed item
   */
  remove(itemOrId: string | V): this {
    const id = typeof itemOrId === 'string' && this.#items.has(itemOrId) ? itemOrId : this.idOf(itemOrId as V);
    if (id === undefined || !this.#items.has(id)) {
      throw new LocalProtocolError(
        'ERR_SB_INVALID_ARGUMENT',
        `no item ${typeof itemOrId === 'string' ? `"${itemOrId}"` : 'like that'} to remove`,
      );
    }
    return this.localUpdate({ remove: id });
  }

  /** The id of an item object (the same object `toJSON` returns), or `undefined`. */
  idOf(item: V): string | undefined {
    if (typeof item === 'object' && item !== null) {
      const id = (item as { __id?: unknown }).__id;
      if (typeof id === 'string' && this.#items.get(id)?.item === item) return id;
    }
    for (const entry of this.#ordered) if (entry.item === item) return entry.id;
    return undefined;
  }

  /** Whether an item is live. */
  has(id: string): boolean {
    return this.#items.has(id);
  }

  /** Whether an item was removed (its tombstone is still kept). */
  wasRemoved(id: string): boolean {
    return this.#removed.has(id);
  }

  /** Number of live items. */
  get size(): number {
    return this.#items.size;
  }

  /** Number of removals remembered. */
  get tombstoneCount(): number {
    return this.#removed.size;
  }

  /** The live items with their ids, in order. */
  entries(): Array<{ id: string; item: V }> {
    return this.#ordered.toArray().map((e) => ({ id: e.id, item: e.item as V }));
  }

  /** The live items, in (ts, source) order. Object items carry a non-enumerable `__id`. */
  toJSON(): V[] {
    return this.#ordered.toArray().map((e) => e.item as V);
  }

  /** append-only's name for {@link toJSON}. */
  createArray(): V[] {
    return this.toJSON();
  }

  /**
   * Takes a reset snapshot: items the sender did not send, whose push it had seen, were removed
   * there and the remove collected; they are removed here too (emitting `remove`).
   */
  override beginReset(senderClock: Readonly<Clock>): ResetCollector {
    return keyedReset(senderClock, {
      identitiesOf: (update) => {
        const change = update[0];
        return typeof change === 'object' && change !== null && 'push' in change ? [itemId(update[2], update[1])] : [];
      },
      held: () => this.#items,
      dropIdentity: (id) => this.#unlist(this.#items.get(id) as Pushed),
    });
  }

  /** Takes a live item out of the list. */
  #unlist(entry: Pushed): void {
    this.#items.delete(entry.id);
    this.#index.remove(entry);
    this.#ordered.remove(entry);
    if (this.listenerCount('_remove') > 0) this.emitLocal('_remove', toUpdate(entry));
    this.emitLocal('remove', entry.item);
  }

  override history(sources?: Readonly<Clock> | null): Update<AppendOnlyChange>[] {
    return this.#index.since(sources).map(toUpdate);
  }

  protected override *replay(sources: Readonly<Clock>): Iterable<Update> {
    for (const entry of this.#index.since(sources)) yield toUpdate(entry);
  }

  override applyUpdate(update: Update<AppendOnlyChange>): boolean {
    // Read once and cleared: a listener fired below may apply a remote update, which must be checked.
    const checked = this.#checked;
    this.#checked = false;
    const change = update[0];
    const ts = update[1];
    const source = update[2];
    const extra = update.length > 3 ? update.slice(3) : undefined;
    if ('push' in change) {
      const id = itemId(source, ts);
      if (this.#removed.has(id) || this.#items.has(id)) return false;
      const item = change.push === undefined ? null : change.push;
      if (this.#schema !== undefined && !checked) {
        const problem = checkSchema(this.#schema, item);
        if (problem !== null) {
          this.emitLocal('invalid', createError('ERR_SB_INVALID_UPDATE', problem, { input: update }), update);
          return false;
        }
      }
      if (typeof item === 'object' && item !== null && !Object.hasOwn(item, '__id')) {
        Object.defineProperty(item, '__id', { value: id, enumerable: false, configurable: true });
      }
      const entry = new Pushed(id, item, ts, source, extra);
      this.#items.set(id, entry);
      this.#ordered.insert(entry);
      this.#index.add(entry);
      this.emitLocal('item', item);
      this.emitLocal('update', change, ts, source);
      return true;
    }
    const target = change.remove;
    if (this.#removed.has(target)) return false;
    const removal = new Removal(target, ts, source, extra);
    this.#removed.set(target, removal);
    this.#index.add(removal);
    this.#tombstones.add(removal);
    const entry = this.#items.get(target);
    if (entry !== undefined) this.#unlist(entry);
    this.emitLocal('update', change, ts, source);
    this.#tombstones.tick();
    return true;
  }
}

function toUpdate(entry: Pushed | Removal): Update<AppendOnlyChange> {
  const change: AppendOnlyChange = entry instanceof Pushed ? { push: entry.item } : { remove: entry.target };
  const update: Update<AppendOnlyChange> = [change, entry.ts, entry.source];
  if (entry.extra !== undefined) update.push(...entry.extra);
  return update;
}
