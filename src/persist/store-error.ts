/**
 * @module persist/store-error
 * The error of a durable store. Storage failures are neither the caller's misuse nor a peer's
 * fault, so they get their own subclass of {@link ScuttlebuttError}: every one names the file (or
 * browser store) it concerns in `path`, and, when it concerns one line, its position in `offset`.
 */
import { type ErrorCode, ScuttlebuttError } from '../errors.js';

/** The codes a store uses (see `docs/errors.md`, section Persistence). */
export type StoreErrorCode = Extract<ErrorCode, `ERR_SB_STORE_${string}`>;

/**
 * A storage failure, naming the file and, where it applies, the byte offset of the line.
 *
 * @example
 * ```ts
 * try { await store.ready } catch (err) {
 *   if (isScuttlebuttError(err) && err.code === 'ERR_SB_STORE_FOREIGN') console.error(`${err.path} is not ours`)
 * }
 * ```
 */
export class StoreError extends ScuttlebuttError {
  /** The file path, or the browser store's name. */
  readonly path: string;
  /** Byte offset of the offending line in a file (its line index in a browser store), if any. */
  readonly offset: number | undefined;
  /** The system error code of the cause (`ENOSPC`, `EACCES`, `EISDIR`, `QuotaExceededError`…), if any. */
  readonly syscallCode: string | undefined;

  /**
   * @param code - an `ERR_SB_STORE_*` code
   * @param path - the file or store the error concerns
   * @param why - what went wrong, without the path (the message is `"<path>: <why>"`)
   * @param options - `cause` (the underlying error) and `offset`
   */
  constructor(code: StoreErrorCode, path: string, why: string, options: { cause?: unknown; offset?: number } = {}) {
    const at = options.offset === undefined ? '' : ` (at offset ${options.offset})`;
    super(code, `${path}${at}: ${why}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.path = path;
    this.offset = options.offset;
    this.syscallCode = systemCode(options.cause);
  }
}

/** The `code` (Node) or `name` (DOMException) of a system error, if it has one. */
export function systemCode(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const name = (cause as { name?: unknown }).name;
  return typeof name === 'string' && name !== 'Error' ? name : undefined;
}

/**
 * Wraps an I/O failure as `ERR_SB_STORE_IO`, keeping a {@link StoreError} as it is.
 * @param path - the file concerned
 * @param doing - what was being done, e.g. `"append failed"`
 * @param cause - the thrown value
 */
export function ioError(path: string, doing: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const code = systemCode(cause);
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreError('ERR_SB_STORE_IO', path, `${doing}${code ? ` (${code})` : ''}: ${detail}`, { cause });
}
