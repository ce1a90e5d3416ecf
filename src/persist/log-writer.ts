/**
 * @module persist/log-writer
 * Appends whole lines to the log file. It writes at explicit positions (it owns the file's size),
 * retries short writes, and fdatasyncs when asked.
 *
 * A failed write may leave part of a line behind. The writer then cuts the file back to its
 * last whole line (best effort) and refuses further appends: after a failed write or fsync the
 * kernel's view of the file can no longer be trusted (a failed fsync may have dropped the dirty
 * pages), so the store recovers by replacing the whole log with a snapshot instead. If even the
 * cut fails, the torn line is cut at the next load.
 */
import type { StoreFileHandle } from './fs.js';
import { ioError } from './store-error.js';

const encoder = new TextEncoder();

/**
 * The append side of a log file.
 *
 * @example
 * ```ts
 * const writer = new LogWriter('/data/a.sb', handle, size)
 * await writer.append('[["k",1],1700000000000,"A"]\n', true) // written and fdatasync'd
 * ```
 */
export class LogWriter {
  readonly path: string;
  readonly #handle: StoreFileHandle;
  #size: number;
  #broken = false;

  /**
   * @param path - for errors
   * @param handle - the log, open for writing
   * @param size - its size: appends go there
   */
  constructor(path: string, handle: StoreFileHandle, size: number) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
  }

  /** Bytes in the log. */
  get size(): number {
    return this.#size;
  }

  /** False after a failed write or fsync. */
  get appendable(): boolean {
    return !this.#broken;
  }

  /**
   * Appends `text` (whole lines) at the end of the log.
   * @param text - lines, each ended by `\n`
   * @param durable - fdatasync before resolving
   * @throws StoreError ERR_SB_STORE_IO (and the writer refuses further appends)
   */
  async append(text: string, durable: boolean): Promise<void> {
    if (this.#broken) throw ioError(this.path, 'append refused', new Error('an earlier write failed'));
    const bytes = encoder.encode(text);
    let written = 0;
    try {
      while (written < bytes.length) {
        const n = await this.#handle.write(bytes, written, bytes.length - written, this.#size + written);
        if (n <= 0) throw new Error('the write made no progress');
        written += n;
      }
      if (durable) await this.#handle.datasync();
    } catch (error) {
      this.#broken = true;
      if (written > 0) await this.#handle.truncate(this.#size).catch(() => {});
      throw ioError(this.path, 'append failed', error);
    }
    this.#size += bytes.length;
  }

  /**
   * Puts every append so far on stable storage (fdatasync).
   * @throws StoreError ERR_SB_STORE_IO (and the writer refuses further appends)
   */
  async sync(): Promise<void> {
    try {
      await this.#handle.datasync();
    } catch (error) {
      this.#broken = true;
      throw ioError(this.path, 'fsync failed', error);
    }
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.#handle.close();
  }
}
