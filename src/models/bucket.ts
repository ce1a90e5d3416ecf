/**
 * @module bucket
 * `Bucket`: several named models replicated over one stream, with the wire of scuttlebucket
 * 0.2.3: a change is `[name, innerChange]`, for instance `[["meta",["title","doc"]],ts,"A"]`.
 *
 * Theory of operation: the bucket owns the clock and the timestamps. A part's local write
 * (`part.set(…)`) is routed through the bucket (the part's `localUpdate` is redirected on `add`),
 * so it gets a timestamp from the bucket's hybrid clock, is signed by the bucket, recorded in the
 * bucket's clock, applied to the part, and sent once on each stream. scuttlebucket never recorded
 * its parts' local writes in its clock, so every peer sent them back and they went out again:
 * three sends per update. An update from a peer is checked by the part's own rules, then given to
 * the part with the same timestamp and source.
 *
 * Parts added at run time announce themselves: what a part already holds is offered to every
 * connected peer and to the history; the part of it the bucket's clock has already passed (a
 * peer would take it for old data) is re-issued as new local writes. Updates for a part this
 * replica does not have (yet) are refused as `invalid` without moving the clock, and kept (at
 * most `maxPendingUpdates`) until a part of that name is added.
 *
 * What it keeps: what its parts keep (see each model), plus the pending updates above.
 * Security goes on the bucket (`sign`/`verify`), not on the parts.
 */
import { createError, LocalProtocolError, type ScuttlebuttError } from '../errors.js';
import { assertLimit } from '../protocol/_assert.js';
import { type Clock, compareUpdates, isForbiddenName, isNewerThan, type Update } from '../protocol/update.js';
import { type ChangeProblem, Scuttlebutt, type ScuttlebuttOptions, type UpdateSink } from '../scuttlebutt.js';

/** A Bucket change: `[partName, innerChange]`. */
export type BucketChange = [name: string, change: unknown];

/** Options of {@link Bucket}. */
export interface BucketOptions extends ScuttlebuttOptions {
  /** Most updates kept for parts not added yet (default 1000); the oldest go first. */
  maxPendingUpdates?: number;
}

/** The part of a model the bucket uses (any model of this library). */
type Part = Scuttlebutt<unknown>;

interface PartHooks {
  validateChange(change: unknown): ChangeProblem | null;
}

const wrap = (name: string, update: Update): Update<BucketChange> => {
  const out = update.slice() as unknown as Update<BucketChange>;
  out[0] = [name, update[0]];
  return out;
};

/**
 * Named models over one stream.
 *
 * @example
 * ```ts
 * const a = new Bucket('A').add('meta', new Model()).add('chat', new Events())
 * const b = new Bucket('B').add('meta', new Model()).add('chat', new Events())
 * const s = a.createStream(); s.pipe(b.createStream()).pipe(s)
 * a.get('meta').set('title', 'doc') // one update [["meta",["title","doc"]],ts,"A"]
 * ```
 */
export class Bucket<P extends Record<string, Part> = Record<string, Part>> extends Scuttlebutt<BucketChange> {
  readonly maxPendingUpdates: number;
  readonly #parts = new Map<string, Part>();
  readonly #pending = new Map<string, Update[]>();
  #pendingCount = 0;
  /** The part an update is being handed to, and whether it applied it. */
  #delivering: Part | null = null;
  #applied = false;

  /** @param options - an id, or model options plus `maxPendingUpdates` */
  constructor(options?: string | BucketOptions) {
    super(options);
    const opts = typeof options === 'object' && options !== null ? options : {};
    this.maxPendingUpdates = assertLimit('maxPendingUpdates', opts.maxPendingUpdates ?? 1000);
  }

  /**
   * Adds a part under a name (chainable). The part takes the bucket's id; its local writes go
   * through the bucket from now on; what it already holds is announced to peers.
   * @throws RangeError for a name already used or `"__proto__"`, TypeError for a non-model
   */
  add<N extends string, M extends Part>(name: N, part: M): Bucket<P & Record<N, M>> {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('"name" expected a non-empty string');
    if (isForbiddenName(name)) throw new RangeError('"name" must not be "__proto__"');
    if (this.#parts.has(name)) throw new RangeError(`a part named "${name}" already exists`);
    if (!(part instanceof Scuttlebutt)) throw new TypeError('"part" expected a scuttlebutt model');
    part.setId(this.id);
    this.#parts.set(name, part);
    Object.defineProperty(part, 'localUpdate', {
      configurable: true,
      writable: true,
      value: (change: unknown) => {
        this.localUpdate([name, change]);
        return part;
      },
    });
    part.on('_update', (update: Update) => {
      if (this.#delivering === part) {
        this.#applied = true;
        return;
      }
      // Entered the part some other way (a clone of the part): record and relay it.
      this.receiveUpdate(wrap(name, update));
    });
    this.#announce(name, part);
    return this as unknown as Bucket<P & Record<N, M>>;
  }

  #announce(name: string, part: Part): void {
    // First what the part held before it was added: recorded and offered to peers; what the
    // bucket's clock has already passed would be old data to them, so it is written again.
    for (const update of part.history()) {
      const wrapped = wrap(name, update);
      if (isNewerThan(wrapped, this.sources)) this.receiveUpdate(wrapped);
      else if (update[2] === this.id || update.length <= 3) this.localUpdate([name, update[0]]);
    }
    // Then the updates peers sent for this part before it existed here.
    const pending = this.#pending.get(name);
    if (pending === undefined) return;
    this.#pending.delete(name);
    this.#pendingCount -= pending.length;
    for (const update of pending) {
      if (isNewerThan(update, this.sources)) {
        this.receiveUpdate(update);
        continue;
      }
      const inner = update.slice() as Update;
      inner[0] = (update[0] as BucketChange)[1];
      this.#deliver(part, inner);
    }
  }

  /** The part with this name. */
  get<N extends keyof P & string>(name: N): P[N] {
    return this.#parts.get(name) as P[N];
  }

  /** The part names, in the order they were added. */
  names(): string[] {
    return [...this.#parts.keys()];
  }

  /** Updates waiting for parts not added yet. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  override setId(id: string): this {
    super.setId(id);
    if (#parts in this) for (const part of this.#parts.values()) part.setId(id);
    return this;
  }

  /** `{ name: part.toJSON() }`. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, part] of this.#parts) {
      const toJSON = (part as unknown as { toJSON?: () => unknown }).toJSON;
      Object.defineProperty(out, name, {
        value: typeof toJSON === 'function' ? toJSON.call(part) : undefined,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    if (!Array.isArray(change) || change.length !== 2) return 'a Bucket change must be [partName, change]';
    const name = change[0];
    if (typeof name !== 'string') return 'a part name must be a string';
    if (isForbiddenName(name)) return { code: 'ERR_SB_FORBIDDEN_KEY', message: 'a part name must not be "__proto__"' };
    const part = this.#parts.get(name);
    if (part === undefined) return { code: 'ERR_SB_INVALID_UPDATE', message: `no part named "${name}"` };
    return (part as unknown as PartHooks).validateChange(change[1]);
  }

  override receiveUpdate(update: Update, from?: UpdateSink | Scuttlebutt<BucketChange>): boolean | ScuttlebuttError {
    const change = update[0];
    if (
      Array.isArray(change) &&
      change.length === 2 &&
      typeof change[0] === 'string' &&
      !isForbiddenName(change[0]) &&
      !this.#parts.has(change[0])
    ) {
      const seen = this.sources[update[2]];
      if (seen !== undefined && seen >= update[1]) return false;
      this.#hold(change[0], update);
      this.emitLocal(
        'invalid',
        createError('ERR_SB_INVALID_UPDATE', `no part named "${change[0]}" (kept until one is added)`, { input: update }),
        update,
      );
      return false;
    }
    return super.receiveUpdate(update, from);
  }

  #hold(name: string, update: Update): void {
    let list = this.#pending.get(name);
    if (list === undefined) {
      list = [];
      this.#pending.set(name, list);
    }
    list.push(update);
    this.#pendingCount++;
    while (this.#pendingCount > this.maxPendingUpdates) {
      const [oldestName, oldest] = this.#pending.entries().next().value as [string, Update[]];
      oldest.shift();
      this.#pendingCount--;
      if (oldest.length === 0) this.#pending.delete(oldestName);
    }
  }

  override applyUpdate(update: Update<BucketChange>): boolean {
    const [name, change] = update[0];
    const part = this.#parts.get(name);
    if (part === undefined) return false;
    const ts = update[1];
    const source = update[2];
    // Already in the part (announced, or written through a clone of it): record and relay only.
    const seen = part.sources[source];
    if (seen !== undefined && seen >= ts) return true;
    const inner = update.slice() as Update;
    inner[0] = change;
    return this.#deliver(part, inner);
  }

  #deliver(part: Part, inner: Update): boolean {
    const outer = this.#delivering;
    const outerApplied = this.#applied;
    this.#delivering = part;
    this.#applied = false;
    try {
      const result = part.receiveUpdate(inner, this as unknown as Scuttlebutt<unknown>);
      if (typeof result === 'object') throw new LocalProtocolError(result.code, result.message, { cause: result });
      return this.#applied;
    } finally {
      this.#delivering = outer;
      this.#applied = outerApplied;
    }
  }

  override history(sources?: Readonly<Clock> | null): Update<BucketChange>[] {
    const out: Update<BucketChange>[] = [];
    for (const [name, part] of this.#parts) for (const update of part.history(sources)) out.push(wrap(name, update));
    return out.sort(compareUpdates as (a: Update<BucketChange>, b: Update<BucketChange>) => number);
  }

  override dispose(): void {
    super.dispose();
    for (const part of this.#parts.values()) part.dispose();
  }
}
