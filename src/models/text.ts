/**
 * @module text
 * `Text`: replicated plain text on {@link RArray}, one element per UTF-16 code unit (r-string's
 * wire: `{positionKey: char|null}`), but one update per edit, not per character (r-string sent
 * one update per character, inserted backwards). Concurrent edits at different places merge;
 * concurrent inserts at one place both survive, one after the other.
 *
 * `bindTextarea(el)` keeps a `<textarea>` (or anything with its shape) and the text in step; the
 * element is a parameter typed by its shape, so this module imports nothing from the DOM.
 */
import type { ChangeProblem } from '../scuttlebutt.js';
import { type ArrayChange, RArray, type RArrayOptions } from './array.js';

/** Options of {@link Text}: those of RArray, without a schema (values are characters). */
export type TextOptions = Omit<RArrayOptions<string>, 'schema'>;

/** What {@link Text.bindTextarea} needs of an element: a textarea or an input has it. */
export interface TextareaLike {
  value: string;
  selectionStart: number | null;
  selectionEnd: number | null;
  addEventListener(type: 'input', listener: () => void): void;
  removeEventListener(type: 'input', listener: () => void): void;
  setSelectionRange?(start: number, end: number): void;
}

function define(target: ArrayChange, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The common prefix and suffix lengths of two strings (the suffix does not overlap the prefix). */
export function diffRange(before: string, after: string): { start: number; removed: number; inserted: string } {
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  return { start, removed: before.length - start - end, inserted: after.slice(start, after.length - end) };
}

/**
 * Replicated text.
 *
 * @example
 * ```ts
 * const t = new Text('A')
 * t.insertText(0, 'hello world') // one update
 * t.deleteText(5, 6)             // one update
 * t.text() // 'hello'
 * const unbind = t.bindTextarea(document.querySelector('textarea')!)
 * ```
 */
export class Text extends RArray<string> {
  /** @param options - an id, or model options */
  constructor(options?: string | TextOptions) {
    super(options as string | RArrayOptions<string> | undefined);
  }

  protected override validateChange(change: unknown): ChangeProblem | null {
    const problem = super.validateChange(change);
    if (problem !== null) return problem;
    for (const value of Object.values(change as ArrayChange)) {
      if (value !== null && typeof value !== 'string') return 'a Text element must be a string or null';
    }
    return null;
  }

  /** The whole text. */
  text(): string {
    return this.toJSON().join('');
  }

  override toString(): string {
    return this.text();
  }

  /**
   * Replaces `length` characters at `offset` with `insert`, as ONE update.
   * @throws RangeError for an offset or length outside the text
   */
  replaceText(offset: number, length: number, insert: string): this {
    const size = this.length;
    if (!Number.isInteger(offset) || offset < 0 || offset > size)
      throw new RangeError(`"offset" expected integer 0..${size}, got ${offset}`);
    if (!Number.isInteger(length) || length < 0 || offset + length > size) {
      throw new RangeError(`"length" expected integer 0..${size - offset}, got ${length}`);
    }
    if (typeof insert !== 'string') throw new TypeError(`"insert" expected string, got ${typeof insert}`);
    if (length === 0 && insert.length === 0) return this;
    const change: ArrayChange = {};
    for (let i = 0; i < length; i++) define(change, this.keyAt(offset + i) as string, null);
    if (insert.length > 0) {
      const keys = this.newKeys(
        offset > 0 ? (this.keyAt(offset - 1) as string) : null,
        offset + length < size ? (this.keyAt(offset + length) as string) : null,
        insert.length,
      );
      for (let i = 0; i < insert.length; i++) define(change, keys[i] as string, insert[i]);
    }
    return this.writeChange(change);
  }

  /** Inserts `text` at `offset` (one update). */
  insertText(offset: number, text: string): this {
    return this.replaceText(offset, 0, text);
  }

  /** Deletes `length` characters at `offset` (one update). */
  deleteText(offset: number, length: number): this {
    return this.replaceText(offset, length, '');
  }

  /** r-string's name: inserts a string at `at`. */
  insertString(at: number, text: string): this {
    return this.insertText(at, text);
  }

  /** r-string's name: inserts one character at `at`. */
  insertChar(at: number, char: string): this {
    return this.insertText(at, char);
  }

  /** r-string's name: deletes `length` characters at `at`. */
  remove(at: number, length = 1): this {
    return this.deleteText(at, length);
  }

  /** Makes the text equal to `text` with one update covering the changed range. */
  setText(text: string): this {
    const { start, removed, inserted } = diffRange(this.text(), text);
    return this.replaceText(start, removed, inserted);
  }

  /**
   * Binds an element: user input becomes one update per `input` event, remote edits rewrite the
   * element's value and keep the caret in place relative to the text around it.
   * @param el - a `<textarea>`, an `<input>`, or anything shaped like them
   * @returns a function that unbinds
   */
  bindTextarea(el: TextareaLike): () => void {
    let writing = false;
    el.value = this.text();
    const onInput = (): void => {
      writing = true;
      try {
        this.setText(el.value);
      } finally {
        writing = false;
      }
    };
    const onUpdate = (): void => {
      if (writing) return;
      const next = this.text();
      if (next === el.value) return;
      const { start, removed, inserted } = diffRange(el.value, next);
      const move = (pos: number | null): number => {
        if (pos === null) return next.length;
        if (pos <= start) return pos;
        if (pos >= start + removed) return pos - removed + inserted.length;
        return start + inserted.length;
      };
      const selStart = move(el.selectionStart);
      const selEnd = move(el.selectionEnd);
      el.value = next;
      el.setSelectionRange?.(selStart, selEnd);
    };
    el.addEventListener('input', onInput);
    this.on('update', onUpdate);
    return () => {
      el.removeEventListener('input', onInput);
      this.off('update', onUpdate);
    };
  }
}
