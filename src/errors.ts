/**
 * @module errors
 * Error classes with stable `code` strings. Blame is split the way h11 splits it:
 * {@link LocalProtocolError} means the caller misused the API, {@link RemoteProtocolError} means a
 * peer sent something invalid. Every code is documented in `docs/errors.md`.
 */

/** Every error code this library throws or emits, with the side to blame and a summary. */
const ERROR_TABLE = {
  ERR_SB_INVALID_JSON: { remote: true, summary: 'a line is not valid JSON' },
  ERR_SB_MESSAGE_TOO_LARGE: { remote: true, summary: 'a line is longer than maxMessageBytes' },
  ERR_SB_BUFFER_OVERFLOW: { remote: true, summary: 'the peer sent more than maxBufferedBytes without it being consumed' },
  ERR_SB_INVALID_HEADER: { remote: true, summary: 'the handshake header is malformed (missing clock, wrong types)' },
  ERR_SB_TOO_MANY_SOURCES: { remote: true, summary: 'the header clock has more than maxSourcesPerDigest entries' },
  ERR_SB_INVALID_UPDATE: { remote: true, summary: 'an update has the wrong shape or a change the model does not accept' },
  ERR_SB_FORBIDDEN_KEY: { remote: true, summary: 'a key, event name or source is "__proto__"' },
  ERR_SB_INVALID_TIMESTAMP: { remote: true, summary: 'a timestamp is not a finite, positive number' },
  ERR_SB_CLOCK_SKEW: { remote: true, summary: 'a timestamp is further in the future than maxClockSkewMs' },
  ERR_SB_BAD_SIGNATURE: { remote: true, summary: 'an update failed verification' },
  ERR_SB_AUTH_FAILED: { remote: true, summary: "the peer's authentication proof is missing, malformed, unsolicited or does not verify" },
  ERR_SB_AUTH_REQUIRED: { remote: true, summary: 'the peer did not offer authentication, and this stream requires it' },
  ERR_SB_WRITE_DENIED: { remote: true, summary: "an update was refused by the stream's access policy (the stream stays open)" },
  ERR_SB_INVALID_KEY: { remote: false, summary: 'a key cannot be loaded or is of the wrong type for the scheme' },
  ERR_SB_HANDSHAKE_TIMEOUT: { remote: true, summary: 'the peer sent no header within handshakeTimeoutMs' },
  ERR_SB_IDLE_TIMEOUT: { remote: true, summary: 'nothing arrived from the peer for idleTimeoutMs (a dead peer or link)' },
  ERR_SB_DRAIN_TIMEOUT: { remote: true, summary: 'the peer read none of our output for drainTimeoutMs (a slow reader)' },
  ERR_SB_CONNECTION_LOST: { remote: true, summary: 'the connection closed or failed (the cause has the system code, e.g. ECONNRESET)' },
  ERR_SB_UNAUTHORIZED: { remote: true, summary: 'the token is missing or wrong, or the authorize hook refused the peer' },
  ERR_SB_TOO_MANY_PEERS: { remote: true, summary: 'the server already holds maxPeers connections' },
  ERR_SB_INVALID_ARGUMENT: { remote: false, summary: 'an argument or option has the wrong type or range' },
  ERR_SB_DISPOSED: { remote: false, summary: 'the model was disposed' },
  ERR_SB_SESSION_ERRORED: { remote: false, summary: 'the session already failed; no further calls are accepted' },
  ERR_SB_STORE_FOREIGN: { remote: false, summary: 'the file or browser store is not a log: its first line is not a header' },
  ERR_SB_STORE_CORRUPT: { remote: false, summary: 'a stored line is not a valid update; it was skipped and quarantined' },
  ERR_SB_STORE_LINE_TOO_LARGE: { remote: false, summary: 'a stored line is longer than maxMessageBytes; the load is refused' },
  ERR_SB_STORE_IO: { remote: false, summary: 'reading or writing the store failed (syscallCode: ENOSPC, EACCES, EISDIR…)' },
  ERR_SB_STORE_LOCKED: { remote: false, summary: 'another store, in this process or another one, has the file open' },
  ERR_SB_STORE_CONFLICT: { remote: false, summary: 'the model holds updates that would make stored ones be dropped as old data' },
  ERR_SB_STORE_CLOSED: { remote: false, summary: 'the store was closed' },
} as const;

/** A stable error code, `ERR_SB_*`. */
export type ErrorCode = keyof typeof ERROR_TABLE;

const BRAND = Symbol.for('scuttlebutt-ts.error');

/**
 * Base class of every error this library creates.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (isScuttlebuttError(err)) log(err.code) })
 * ```
 */
export class ScuttlebuttError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** The caller misused the API (a bad argument, a call after an error). */
export class LocalProtocolError extends ScuttlebuttError {}

/**
 * A peer sent something invalid. `closeCode` is the WebSocket close code a transport should use
 * (1009 for oversized messages, 1008 otherwise), like ws `kStatusCode`.
 */
export class RemoteProtocolError extends ScuttlebuttError {
  readonly closeCode: number;
  /** The offending line or value, truncated to 200 characters, for logs. */
  readonly input?: string;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; input?: unknown }) {
    super(code, message, options);
    this.closeCode = code === 'ERR_SB_MESSAGE_TOO_LARGE' || code === 'ERR_SB_BUFFER_OVERFLOW' ? 1009 : 1008;
    if (options?.input !== undefined) this.input = preview(options.input);
  }
}

function preview(input: unknown): string {
  let text: string;
  try {
    text = typeof input === 'string' ? input : (JSON.stringify(input) ?? String(input));
  } catch {
    text = String(input);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Whether `value` is an error created by any copy of this library (works across duplicated
 * installs, where `instanceof` does not).
 *
 * @param value - anything
 * @returns true for a {@link ScuttlebuttError}
 * @example
 * ```ts
 * if (isScuttlebuttError(err) && err.code === 'ERR_SB_INVALID_JSON') socket.destroy()
 * ```
 */
export function isScuttlebuttError(value: unknown): value is ScuttlebuttError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Builds the right class for `code`: remote codes give a {@link RemoteProtocolError}. */
export function createError(code: ErrorCode, message: string, options?: { cause?: unknown; input?: unknown }): ScuttlebuttError {
  return ERROR_TABLE[code].remote ? new RemoteProtocolError(code, message, options) : new LocalProtocolError(code, message, options);
}

/** Every code with its summary, used to generate and check `docs/errors.md`. */
export const ERROR_CODES: Readonly<Record<ErrorCode, { remote: boolean; summary: string }>> = ERROR_TABLE;
