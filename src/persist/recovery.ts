/**
 * @module persist/recovery
 * Loading a stored log back into a model, and the recovery rules. Platform-free: the file store
 * feeds it bytes through {@link LineScanner}, the browser stores feed it lines.
 *
 * Theory of operation. A log is the bytes of a read stream (section 1.6 of the original's
 * behaviour): a header `{"id","clock"}` line, then update lines, `"SYNC"` lines and, in files
 * written by the original, possibly repeated headers. The rules:
 *
 * 1. The first non-blank line must be a header, or the file is not ours: `ERR_SB_STORE_FOREIGN`,
 *    and nothing is touched. (An empty file is a new store.)
 * 2. A line longer than `maxMessageBytes` refuses the load (`ERR_SB_STORE_LINE_TOO_LARGE`): it is
 *    probably a legitimate big value, and skipping it would lose it at the next compaction.
 * 3. A line in the middle that is not valid UTF-8, not JSON, or not a valid update is reported
 *    (`'corrupt'`, with the path and the byte offset), handed to the caller for quarantine, and
 *    skipped; the rest loads.
 * 4. The last line without a newline was torn by a crash: if it is a complete JSON message it is
 *    kept (the caller adds the newline), otherwise it is reported, quarantined and cut off, so no
 *    later append is glued to it.
 * 5. Updates go through `model.restoreUpdate()` (validated, not re-verified, not refused for
 *    clock skew: they were accepted once). One that is old data because the store holds it twice
 *    is normal; one that is old data because the model got a newer update of its source from
 *    elsewhere (before or during the load) would be lost: `ERR_SB_STORE_CONFLICT`.
 */
import { type Header, type Update, validateHeader, validateUpdate } from '../protocol/update.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { StoreError } from './store-error.js';

/** A line that was skipped (or a torn tail that was cut) while loading. */
export interface CorruptLine {
  /** The file path or browser store name. */
  readonly path: string;
  /** Byte offset of the line in the file (line index in a browser store). */
  readonly offset: number;
  /** Its length in bytes (characters in a browser store), without the newline. */
  readonly length: number;
  /** `'bad-line'`: skipped, the rest loaded; `'torn-tail'`: the unfinished last line, cut off. */
  readonly kind: 'bad-line' | 'torn-tail';
  /** `ERR_SB_STORE_CORRUPT`, with the reason; its `cause` is the parse or validation error. */
  readonly error: StoreError;
}

/** What a load found. */
export interface LoadSummary {
  /** The header of the store, or null if it was empty. */
  readonly header: Header | null;
  /** Non-blank lines read, the header included. */
  readonly lines: number;
  /** Updates committed to the model. */
  readonly restored: number;
  /** Updates skipped as old data (held twice). */
  readonly duplicates: number;
  /** Lines skipped in the middle of the log. */
  readonly corrupt: number;
  /** Whether an unfinished last line was cut off. */
  readonly tornTail: boolean;
}

/** Applies one stored update to the model (the store wraps `model.restoreUpdate`). */
export type RestoreFunction = (update: Update) => ReturnType<Scuttlebutt['restoreUpdate']>;

/**
 * Turns stored lines into model updates, applying the recovery rules of this module.
 *
 * @example
 * ```ts
 * const loader = new LogLoader('/data/a.sb', model, (u) => model.restoreUpdate(u), (c) => log(c))
 * loader.line('{"id":"A","clock":{}}', 0, 21)
 * loader.line('[["k",1],1700000000000,"A"]', 22, 27)
 * loader.finish() // { restored: 1, … }
 * ```
 */
export class LogLoader {
  readonly path: string;
  readonly #model: Scuttlebutt;
  readonly #restore: RestoreFunction;
  readonly #onCorrupt: (line: CorruptLine) => void;
  /** For each source, the newest timestamp restored from the store (rule 5). */
  readonly #restoredMax = new Map<string, number>();
  #header: Header | null = null;
  #lines = 0;
  #restored = 0;
  #duplicates = 0;
  #corrupt = 0;
  #tornTail = false;

  /**
   * @param path - the file path or store name, for reports
   * @param model - the model being loaded
   * @param restore - applies one update (the store sets its own "restoring" flag around it)
   * @param onCorrupt - called for each skipped line, synchronously
   */
  constructor(path: string, model: Scuttlebutt, restore: RestoreFunction, onCorrupt: (line: CorruptLine) => void) {
    this.path = path;
    this.#model = model;
    this.#restore = restore;
    this.#onCorrupt = onCorrupt;
  }

  /** The header, once the first line was read. */
  get header(): Header | null {
    return this.#header;
  }

  /**
   * Takes one complete line.
   * @param text - the line without its newline, or null when its bytes are not valid UTF-8
   * @param offset - its position, for reports
   * @param length - its length, for reports
   * @returns the report when the line was skipped, otherwise null
   * @throws StoreError ERR_SB_STORE_FOREIGN (first line), ERR_SB_STORE_CONFLICT, ERR_SB_STORE_CLOSED
   */
  line(text: string | null, offset: number, length: number): CorruptLine | null {
    if (text !== null && isBlank(text)) return null;
    this.#lines++;
    if (this.#header === null) {
      this.#readHeader(text, offset);
      return null;
    }
    if (text === null) return this.#report('bad-line', offset, length, 'the line is not valid UTF-8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      return this.#report('bad-line', offset, length, 'the line is not valid JSON', cause);
    }
    if (Array.isArray(value)) return this.#update(value, offset, length);
    if (value === 'SYNC' || isHeaderLike(value)) return null; // the end of a snapshot; a repeated header
    return this.#report('bad-line', offset, length, 'the line is neither an update, a header nor "SYNC"');
  }

  /**
   * Takes the last line when it has no newline (rule 4).
   * @returns null when it is a complete message (kept: the caller must add the newline), else the
   *   report of the torn tail (the caller must quarantine it and cut it off)
   * @throws like {@link line}
   */
  tail(text: string | null, offset: number, length: number): CorruptLine | null {
    if (text !== null && isBlank(text)) return null;
    if (this.#header === null) {
      this.line(text, offset, length);
      return null;
    }
    let complete = false;
    if (text !== null) {
      try {
        const value = JSON.parse(text);
        // A proper prefix of an array, object or string is never valid JSON; a number could be.
        complete = typeof value === 'object' || typeof value === 'string';
      } catch {
        complete = false;
      }
    }
    if (!complete) {
      this.#lines++;
      this.#tornTail = true;
      return this.#report('torn-tail', offset, length, 'the last line is unfinished (a write torn by a crash); it was cut off');
    }
    return this.line(text, offset, length);
  }

  /**
   * Reports a line the backend found unreadable itself (a missing or non-text record).
   * @returns the report, already emitted
   */
  skip(offset: number, length: number, why: string): CorruptLine {
    this.#lines++;
    return this.#report('bad-line', offset, length, why);
  }

  /** The summary of the load. */
  finish(): LoadSummary {
    return {
      header: this.#header,
      lines: this.#lines,
      restored: this.#restored,
      duplicates: this.#duplicates,
      corrupt: this.#corrupt - (this.#tornTail ? 1 : 0),
      tornTail: this.#tornTail,
    };
  }

  #readHeader(text: string | null, offset: number): void {
    let value: unknown;
    try {
      value = text === null ? undefined : JSON.parse(text);
    } catch (cause) {
      throw foreign(this.path, offset, cause);
    }
    if (!isHeaderLike(value)) throw foreign(this.path, offset);
    try {
      this.#header = validateHeader(value as Record<string, unknown>, Number.POSITIVE_INFINITY);
    } catch (cause) {
      throw foreign(this.path, offset, cause);
    }
  }

  #update(value: unknown[], offset: number, length: number): CorruptLine | null {
    let update: Update;
    try {
      update = validateUpdate(value);
    } catch (cause) {
      return this.#report('bad-line', offset, length, `the update is invalid: ${(cause as Error).message}`, cause);
    }
    if (this.#model.disposed) throw new StoreError('ERR_SB_STORE_CLOSED', this.path, 'the model was disposed during the load');
    const result = this.#restore(update);
    const source = update[2];
    const ts = update[1];
    if (result === true) {
      this.#restored++;
      this.#restoredMax.set(source, ts);
      return null;
    }
    if (result === false) {
      const restored = this.#restoredMax.get(source);
      if (restored !== undefined && restored >= ts) {
        this.#duplicates++;
        return null;
      }
      throw new StoreError(
        'ERR_SB_STORE_CONFLICT',
        this.path,
        `the model already holds a newer update of source "${source}" that is not in the store, so a stored one would be dropped; ` +
          'persist() an empty model and do not update it before store.ready resolves',
        { offset },
      );
    }
    return this.#report('bad-line', offset, length, `the model refuses the change: ${result.message}`, result);
  }

  #report(kind: CorruptLine['kind'], offset: number, length: number, why: string, cause?: unknown): CorruptLine {
    this.#corrupt++;
    const error = new StoreError('ERR_SB_STORE_CORRUPT', this.path, why, cause === undefined ? { offset } : { offset, cause });
    const line: CorruptLine = { path: this.path, offset, length, kind, error };
    this.#onCorrupt(line);
    return line;
  }
}

function foreign(path: string, offset: number, cause?: unknown): StoreError {
  const why = 'not a scuttlebutt log: its first line is not a header {"id","clock"}; nothing was changed';
  return new StoreError('ERR_SB_STORE_FOREIGN', path, why, cause === undefined ? { offset } : { offset, cause });
}

function isHeaderLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'id' in value && 'clock' in value;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

const NEWLINE = 10;

/**
 * Splits the bytes of a file into lines with their byte offsets, checking each line's length
 * before it is buffered (rule 2). Valid UTF-8 is decoded a chunk at a time (fast path); a chunk
 * with invalid bytes is decoded line by line so that only the bad lines are reported.
 *
 * @example
 * ```ts
 * const scanner = new LineScanner('/data/a.sb', 1 << 20, (text, offset, bytes) => loader.line(text, offset, bytes.length))
 * for await (const chunk of chunks) scanner.push(chunk)
 * const tail = scanner.end() // the bytes after the last newline, if any
 * ```
 */
export class LineScanner {
  readonly path: string;
  readonly maxLineBytes: number;
  readonly #sink: (text: string | null, offset: number, bytes: Uint8Array) => void;
  readonly #fast = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  #carry: Uint8Array = new Uint8Array(0);
  /** File offset of the first byte of `#carry`. */
  #carryOffset = 0;

  /**
   * @param path - for errors
   * @param maxLineBytes - the longest line accepted
   * @param sink - called for each complete line, in order; `bytes` is only valid during the call
   */
  constructor(path: string, maxLineBytes: number, sink: (text: string | null, offset: number, bytes: Uint8Array) => void) {
    this.path = path;
    this.maxLineBytes = maxLineBytes;
    this.#sink = sink;
  }

  /**
   * Takes the next chunk of the file. The chunk may be reused by the caller afterwards.
   * @throws StoreError ERR_SB_STORE_LINE_TOO_LARGE, and whatever the sink throws
   */
  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#carry.length > 0) {
      buf = new Uint8Array(this.#carry.length + chunk.length);
      buf.set(this.#carry, 0);
      buf.set(chunk, this.#carry.length);
    }
    const base = this.#carryOffset;
    const last = buf.lastIndexOf(NEWLINE);
    if (last === -1) {
      this.#keep(buf, base);
      return;
    }
    this.#lines(buf.subarray(0, last + 1), base);
    this.#keep(buf.subarray(last + 1), base + last + 1);
  }

  /**
   * The end of the file.
   * @returns the unfinished last line (bytes after the last newline) and its offset, or null
   */
  end(): { offset: number; bytes: Uint8Array; text: string | null } | null {
    if (this.#carry.length === 0) return null;
    const bytes = this.#carry;
    let text: string | null;
    try {
      text = this.#fast.decode(bytes);
    } catch {
      text = null;
    }
    return { offset: this.#carryOffset, bytes, text };
  }

  #keep(rest: Uint8Array, offset: number): void {
    if (rest.length > this.maxLineBytes) throw tooLarge(this.path, offset, this.maxLineBytes);
    this.#carry = rest.slice();
    this.#carryOffset = offset;
  }

  /** `bytes` ends with a newline. */
  #lines(bytes: Uint8Array, base: number): void {
    let text: string | null;
    try {
      text = this.#fast.decode(bytes);
    } catch {
      text = null;
    }
    const max = this.maxLineBytes;
    let start = 0;
    if (text !== null) {
      // One string split per chunk; byte offsets come from the newline positions, which are the
      // same lines since a newline byte never occurs inside a multi-byte UTF-8 sequence.
      const lines = text.split('\n');
      for (let i = 0; i < lines.length - 1; i++) {
        const end = bytes.indexOf(NEWLINE, start);
        if (end - start > max) throw tooLarge(this.path, base + start, max);
        this.#sink(lines[i] as string, base + start, bytes.subarray(start, end));
        start = end + 1;
      }
      return;
    }
    while (start < bytes.length) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end - start > max) throw tooLarge(this.path, base + start, max);
      const line = bytes.subarray(start, end);
      let lineText: string | null;
      try {
        lineText = this.#fast.decode(line);
      } catch {
        lineText = null;
      }
      this.#sink(lineText, base + start, line);
      start = end + 1;
    }
  }
}

function tooLarge(path: string, offset: number, max: number): StoreError {
  return new StoreError(
    'ERR_SB_STORE_LINE_TOO_LARGE',
    path,
    `a line is longer than maxMessageBytes (${max}); the load was refused rather than dropping it (raise maxMessageBytes to load it)`,
    { offset },
  );
}

/**
 * Feeds one stored record of whole lines (a browser store keeps the log as text records) to the
 * loader. A record is written atomically, so a last line without a newline is complete.
 * @param loader - the loader
 * @param text - the record
 * @param firstLine - index of its first line in the store (the offset used in reports)
 * @param onBad - called with each skipped line and its text, for quarantine
 * @returns the number of lines in the record
 * @throws like {@link LogLoader.line}
 */
export function loadRecord(loader: LogLoader, text: string, firstLine: number, onBad: (line: CorruptLine, text: string) => void): number {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const bad = loader.line(line, firstLine + i, line.length);
    if (bad !== null) onBad(bad, line);
  }
  return lines.length;
}
