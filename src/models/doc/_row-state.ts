/**
 * @module doc/_row-state
 * The internal state of one row of a `Doc`, shared by the Doc (which writes it) and the `Row`
 * handle (which reads it). Not exported from the package.
 */

/** One update of the Doc as a history record: a partial row, or a row deletion. */
export class Rec {
  /** Fields whose value still comes from this update. */
  live = 0;
  constructor(
    readonly ts: number,
    readonly source: string,
    readonly extra: unknown[] | undefined,
    readonly row: RowState,
    /** The fields it set, or `null` for a deletion `[rowId, null]`. */
    readonly names: string[] | null,
    /** The change as signed, kept only for signed updates. */
    readonly signed: Record<string, unknown> | null | undefined,
  ) {}
}

/** Whether (ts, source) beats a record: later timestamp, then greater source id. */
export const beats = (ts: number, source: string, rec: Rec): boolean => ts > rec.ts || (ts === rec.ts && source > rec.source);

/** A row: its field values and, per field, the update that set it. */
export class RowState {
  /** Field values (a plain object, so rows with the same fields share a shape). */
  values: Record<string, unknown> = {};
  /** Per field, the update its value came from. */
  recs: Record<string, Rec> = {};
  /** Number of fields. The row is live (in `toJSON`) while it has at least one. */
  count = 0;
  /** The latest deletion of this row: fields older than it are gone, and stay gone. */
  deleted: Rec | null = null;
  /**
   * The user's handle, made on demand and held weakly: a Doc of a million rows keeps no million
   * event emitters, and a handle the user still holds (with its listeners) stays the same one.
   */
  handle: WeakRef<object> | null = null;

  /** The handle, if one is still alive. */
  liveHandle(): object | null {
    const h = this.handle?.deref();
    if (h === undefined) this.handle = null;
    return h ?? null;
  }
  constructor(readonly id: string) {}

  /** The row as crdt shows it: `{ id, ...fields }`. */
  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = { id: this.id };
    for (const name in this.values) {
      if (name === 'id') continue;
      Object.defineProperty(out, name, { value: this.values[name], enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
