/**
 * @module codec
 * Line-JSON framing, the original's `json` wrapper done right: one `JSON.stringify(message)` per
 * line, each ended by `\n`. The decoder finds line ends in the bytes before decoding them, so a
 * UTF-8 character split across chunks is never corrupted (the original decoded each chunk on its
 * own, bug S4); it checks a line's length before buffering it; it skips blank lines (the original
 * threw on them) and it classifies each message without throwing anything but
 * {@link RemoteProtocolError}.
 */
import { RemoteProtocolError } from '../errors.js';
import { type AuthProof, isAuthMessage, validateAuthProof } from './auth.js';
import { type Clock, type Header, type Update, validateHeader, validateUpdate } from './update.js';

/** The kinds of message on the wire. The wire tells them apart by JSON shape; we name them. */
export const MessageType = {
  /** `{id, clock, meta?}`: the handshake. */
  HEADER: 'header',
  /** `[change, ts, source, ...]`: one update. */
  UPDATE: 'update',
  /** `"SYNC"`: the end of history. */
  SYNC: 'sync',
  /** `{auth: {v, id, sig, key?}}` (no `clock`): a peer-authentication proof, sent only to peers that offered auth. */
  AUTH_PROOF: 'authProof',
  /**
   * `{reset: {clock, collected?}}` (no `clock` at the top): the history that follows is a full
   * snapshot of the sender at `clock`; `collected` is, per source, the newest deletion whose
   * tombstone the sender no longer keeps. Sent only to peers whose header announced `reset: 1`.
   */
  RESET: 'reset',
  /** Anything else (numbers, `null`, other strings): ignored, as the original does. */
  IGNORED: 'ignored',
} as const;

/** A decoded, validated message. */
export type Message =
  | { readonly type: typeof MessageType.HEADER; readonly header: Header }
  | { readonly type: typeof MessageType.UPDATE; readonly update: Update }
  | { readonly type: typeof MessageType.SYNC }
  | { readonly type: typeof MessageType.AUTH_PROOF; readonly proof: AuthProof }
  | { readonly type: typeof MessageType.RESET; readonly clock: Clock; readonly collected: Clock }
  | { readonly type: typeof MessageType.IGNORED; readonly value: unknown };

/** The literal that ends history. */
export const SYNC = 'SYNC';

const IGNORED_MESSAGE: Message = Object.freeze({ type: MessageType.IGNORED, value: undefined });
const SYNC_MESSAGE: Message = Object.freeze({ type: MessageType.SYNC });

/**
 * Classifies and validates one parsed JSON value.
 * @param value - a value from `JSON.parse` (or an object-mode peer)
 * @param maxSources - the header clock limit
 * @throws RemoteProtocolError for a malformed header or update
 */
export function readMessage(value: unknown, maxSources: number): Message {
  if (Array.isArray(value)) return { type: MessageType.UPDATE, update: validateUpdate(value) };
  if (value === SYNC) return SYNC_MESSAGE;
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    if (isAuthMessage(object)) return { type: MessageType.AUTH_PROOF, proof: validateAuthProof(object) };
    if (object.clock === undefined && typeof object.reset === 'object' && object.reset !== null) {
      const inner = object.reset as Record<string, unknown>;
      const clock = validateHeader({ id: '', clock: inner.clock }, maxSources).clock;
      const collected = validateHeader({ id: '', clock: inner.collected ?? {} }, maxSources).clock;
      return { type: MessageType.RESET, clock, collected };
    }
    return { type: MessageType.HEADER, header: validateHeader(value as Record<string, unknown>, maxSources) };
  }
  return IGNORED_MESSAGE;
}

/**
 * Encodes one message as a line.
 * @example
 * ```ts
 * encodeLine('SYNC') // '"SYNC"\n'
 * ```
 */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

const NEWLINE = 10;
const textEncoder = new TextEncoder();

/**
 * Splits a byte stream into lines and parses each. Feed chunks with {@link LineDecoder.push}; it
 * returns the parsed values of the lines completed by that chunk.
 *
 * Theory of operation: a chunk is scanned for `\n` bytes (a byte that never occurs inside a UTF-8
 * multi-byte sequence), so everything up to the last newline is complete text and is decoded in
 * one call; the bytes after it wait in `pending`, whose size is checked against
 * `maxMessageBytes` before they are kept.
 */
export class LineDecoder {
  readonly maxMessageBytes: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** An incomplete line that arrived as text (never at the same time as `#pending`). */
  #pendingText = '';
  #failure: RemoteProtocolError | null = null;
  readonly #decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  constructor(maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Bytes of an incomplete line waiting for its end. */
  get pendingBytes(): number {
    return this.#pendingBytes + this.#pendingText.length;
  }

  /**
   * The error of a bad line in the last chunk, once the values before it were returned. A
   * decoder that failed throws it again on every later call.
   */
  get failure(): RemoteProtocolError | null {
    return this.#failure;
  }

  /**
   * Takes a chunk; returns the values of the lines it completes, in order. When a line is bad,
   * the values before it are returned and {@link failure} is set.
   * @throws RemoteProtocolError ERR_SB_MESSAGE_TOO_LARGE, or the earlier failure
   */
  push(chunk: Uint8Array | string): unknown[] {
    if (this.#failure) throw this.#failure;
    if (typeof chunk === 'string') {
      // Text needs no UTF-8 decoding (in-process pipes carry strings); bytes waiting from an
      // earlier chunk are the rare mixed case, handled by the byte path.
      if (this.#pendingBytes === 0) return this.#pushText(chunk);
      chunk = textEncoder.encode(chunk);
    } else if (this.#pendingText.length > 0) {
      const text = this.#pendingText;
      this.#pendingText = '';
      this.#keep(textEncoder.encode(text));
    }
    const bytes = chunk;
    const last = bytes.lastIndexOf(NEWLINE);
    if (last === -1) {
      this.#keep(bytes);
      return [];
    }
    let complete: Uint8Array;
    if (this.#pendingBytes === 0) {
      complete = bytes.subarray(0, last);
    } else {
      complete = concat(this.#pending, this.#pendingBytes, bytes.subarray(0, last));
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    const rest = bytes.subarray(last + 1);
    if (rest.length > 0) this.#keep(rest.slice());
    return this.#parseLines(complete);
  }

  /**
   * The stream ended: parses a last line that had no newline (the original does the same).
   * @throws RemoteProtocolError ERR_SB_INVALID_JSON
   */
  end(): unknown[] {
    if (this.#failure) throw this.#failure;
    if (this.#pendingText.length > 0) {
      const text = this.#pendingText;
      this.#pendingText = '';
      return this.#parseText(text, true);
    }
    if (this.#pendingBytes === 0) return [];
    const complete = concat(this.#pending, this.#pendingBytes, new Uint8Array(0));
    this.#pending = [];
    this.#pendingBytes = 0;
    return this.#parseLines(complete);
  }

  #keep(bytes: Uint8Array): void {
    if (this.#pendingBytes + bytes.length > this.maxMessageBytes) {
      throw new RemoteProtocolError('ERR_SB_MESSAGE_TOO_LARGE', `a line is longer than maxMessageBytes (${this.maxMessageBytes})`);
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  #pushText(chunk: string): unknown[] {
    const last = chunk.lastIndexOf('\n');
    if (last === -1) {
      this.#keepText(chunk);
      return [];
    }
    const complete = this.#pendingText.length > 0 ? this.#pendingText + chunk.slice(0, last) : chunk.slice(0, last);
    this.#pendingText = '';
    if (last + 1 < chunk.length) this.#keepText(chunk.slice(last + 1));
    return this.#parseText(complete, true);
  }

  #keepText(text: string): void {
    const pending = this.#pendingText.length > 0 ? this.#pendingText + text : text;
    if (isOverLimit(pending, this.maxMessageBytes)) {
      throw new RemoteProtocolError('ERR_SB_MESSAGE_TOO_LARGE', `a line is longer than maxMessageBytes (${this.maxMessageBytes})`);
    }
    this.#pendingText = pending;
  }

  #parseLines(complete: Uint8Array): unknown[] {
    const max = this.maxMessageBytes;
    if (complete.length > max) checkLineLengths(complete, max);
    return this.#parseText(this.#decoder.decode(complete), false);
  }

  #parseText(text: string, checkLengths: boolean): unknown[] {
    const lines = text.split('\n');
    const values: unknown[] = [];
    for (const line of lines) {
      if (line.length === 0 || line === '\r') continue;
      if (checkLengths && isOverLimit(line, this.maxMessageBytes)) {
        this.#failure = new RemoteProtocolError(
          'ERR_SB_MESSAGE_TOO_LARGE',
          `a line is longer than maxMessageBytes (${this.maxMessageBytes})`,
        );
        break;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (cause) {
        if (line.trim().length === 0) continue; // whitespace-only keep-alive: harmless
        this.#failure = new RemoteProtocolError('ERR_SB_INVALID_JSON', 'a line is not valid JSON', { cause, input: line });
        break;
      }
      values.push(value);
    }
    return values;
  }
}

/** Whether `text` is longer than `max` bytes in UTF-8; exact, and cheap unless it is close. */
function isOverLimit(text: string, max: number): boolean {
  if (text.length > max) return true; // a UTF-16 unit is at least one UTF-8 byte
  if (text.length * 3 <= max) return false; // and at most three
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes > max;
}

function checkLineLengths(bytes: Uint8Array, max: number): void {
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) end = bytes.length;
    if (end - start > max) {
      throw new RemoteProtocolError('ERR_SB_MESSAGE_TOO_LARGE', `a line is longer than maxMessageBytes (${max})`);
    }
    start = end + 1;
  }
}

function concat(parts: Uint8Array[], size: number, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(size + tail.length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  out.set(tail, offset);
  return out;
}
