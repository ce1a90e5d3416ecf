/**
 * @module persist/file-backend
 * The file behind `persist(model, path)`: opening (lock, leftovers of an interrupted compaction,
 * checks on what the path is), loading with the recovery rules, repairs, quarantine, and the
 * hand-over between the append writer and atomic replaces.
 *
 * Files next to the log, all removed or kept for a reason:
 * - `<path>.lock` while a store has the file open (see `lock.ts`);
 * - `<path>.tmp` only during a compaction; one left by a crash is deleted at the next open,
 *   because the rename never happened and the log is still the old, whole file;
 * - `<path>.corrupt`, append-only, never deleted: every line the load skipped and every torn
 *   tail it cut, as JSON lines `{"offset","length","kind","reason","at","base64"}`, fsync'd
 *   before the log is changed, so nothing that was on disk is lost.
 */
import { Buffer } from 'node:buffer';
import type { Snapshot } from './compaction.js';
import { replaceFile, tempPathOf } from './file-replace.js';
import type { StoreFileHandle, StoreFs } from './fs.js';
import { acquireLock } from './lock.js';
import { LogWriter } from './log-writer.js';
import { type CorruptLine, LineScanner, type LogLoader } from './recovery.js';
import type { StoreBackend } from './store.js';
import { ioError, StoreError } from './store-error.js';

/** Bytes read per call while loading: 1 MiB. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** The quarantine file of a log. */
export function quarantinePathOf(path: string): string {
  return `${path}.corrupt`;
}

interface Quarantined {
  readonly line: CorruptLine;
  readonly bytes: Uint8Array;
}

/**
 * A log file.
 *
 * @example
 * ```ts
 * new PersistentStore(model, new FileBackend('/data/a.sb', nodeFs, true, 1 << 20), resolveStoreOptions())
 * ```
 */
export class FileBackend implements StoreBackend {
  readonly path: string;
  readonly #fs: StoreFs;
  readonly #lock: boolean;
  readonly #maxLineBytes: number;
  #release: (() => Promise<void>) | null = null;
  #writer: LogWriter | null = null;
  /** The last replace's rename may not be durable (its directory fsync failed). */
  #uncommitted = false;
  #mode = 0o644;

  /**
   * @param path - absolute path of the log
   * @param fs - the file system
   * @param lock - hold `<path>.lock` while open
   * @param maxLineBytes - longest line loaded
   */
  constructor(path: string, fs: StoreFs, lock: boolean, maxLineBytes: number) {
    this.path = path;
    this.#fs = fs;
    this.#lock = lock;
    this.#maxLineBytes = maxLineBytes;
  }

  get size(): number {
    return this.#writer?.size ?? 0;
  }

  get appendable(): boolean {
    return (this.#writer?.appendable ?? false) && !this.#uncommitted;
  }

  async open(loader: LogLoader): Promise<boolean> {
    try {
      return await this.#open(loader);
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
  }

  async #open(loader: LogLoader): Promise<boolean> {
    if (this.#lock) this.#release = await acquireLock(this.#fs, this.path);
    // A compaction interrupted before its rename: the log is the old, whole file.
    await this.#fs.unlink(tempPathOf(this.path)).catch(() => {});
    let stat: Awaited<ReturnType<StoreFs['stat']>>;
    try {
      stat = await this.#fs.stat(this.path);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return false;
      throw ioError(this.path, 'cannot read the file', error);
    }
    if (stat.isDirectory()) {
      throw new StoreError('ERR_SB_STORE_IO', this.path, 'is a directory, not a log file; nothing was changed');
    }
    if (!stat.isFile()) throw new StoreError('ERR_SB_STORE_IO', this.path, 'is not a regular file; nothing was changed');
    this.#mode = stat.mode & 0o7777;
    let handle: StoreFileHandle;
    try {
      handle = await this.#fs.open(this.path, 'r+');
    } catch (error) {
      throw ioError(this.path, 'cannot open the file for reading and writing', error);
    }
    try {
      const size = await this.#load(handle, loader);
      if (loader.header === null) {
        // Empty (or blank): a new store, created by the first snapshot.
        await handle.close();
        return false;
      }
      this.#writer = new LogWriter(this.path, handle, size);
      return true;
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  /** Reads the whole log into the loader, then repairs its end. Returns the size after repair. */
  async #load(handle: StoreFileHandle, loader: LogLoader): Promise<number> {
    const quarantine: Quarantined[] = [];
    const scanner = new LineScanner(this.path, this.#maxLineBytes, (text, offset, bytes) => {
      const bad = loader.line(text, offset, bytes.length);
      if (bad !== null) quarantine.push({ line: bad, bytes: bytes.slice() });
    });
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    let position = 0;
    for (;;) {
      let n: number;
      try {
        n = await handle.read(buffer, 0, buffer.length, position);
      } catch (error) {
        throw ioError(this.path, 'reading failed', error);
      }
      if (n === 0) break;
      scanner.push(buffer.subarray(0, n));
      position += n;
    }
    let size = position;
    let cut = -1;
    let repaired = false;
    const tail = scanner.end();
    if (tail !== null) {
      const bad = loader.tail(tail.text, tail.offset, tail.bytes.length);
      if (bad === null) repaired = loader.header !== null;
      else {
        quarantine.push({ line: bad, bytes: tail.bytes });
        cut = tail.offset;
      }
    }
    if (loader.header === null) return size;
    try {
      if (quarantine.length > 0) await this.#quarantine(quarantine);
      if (cut >= 0) {
        // Cut the torn line before anything is appended, so no later line is glued to it.
        await handle.truncate(cut);
        size = cut;
      } else if (repaired) {
        // A complete last line that lost only its newline: keep it, end it.
        const newline = new Uint8Array([10]);
        if ((await handle.write(newline, 0, 1, size)) !== 1) throw new Error('short write');
        size += 1;
      }
    } catch (error) {
      throw ioError(this.path, 'repairing the end of the log failed', error);
    }
    return size;
  }

  /** Appends the skipped lines to `<path>.corrupt` and fsyncs it. */
  async #quarantine(lines: Quarantined[]): Promise<void> {
    const path = quarantinePathOf(this.path);
    const at = new Date().toISOString();
    let text = '';
    for (const { line, bytes } of lines) {
      text += `${JSON.stringify({
        offset: line.offset,
        length: line.length,
        kind: line.kind,
        reason: line.error.message,
        at,
        base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      })}\n`;
    }
    const bytes = new TextEncoder().encode(text);
    let handle: StoreFileHandle;
    try {
      handle = await this.#fs.open(path, 'a', this.#mode);
    } catch (error) {
      throw ioError(this.path, `cannot open the quarantine file ${path}`, error);
    }
    try {
      const start = (await this.#fs.stat(path)).size;
      let written = 0;
      while (written < bytes.length) {
        const n = await handle.write(bytes, written, bytes.length - written, start + written);
        if (n <= 0) throw new Error('the write made no progress');
        written += n;
      }
      await handle.sync();
    } catch (error) {
      throw ioError(this.path, `writing the quarantine file ${path} failed`, error);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  append(text: string, durable: boolean): Promise<void> {
    if (this.#writer === null || this.#uncommitted)
      return Promise.reject(ioError(this.path, 'append refused', new Error('no log to append to')));
    return this.#writer.append(text, durable);
  }

  async sync(): Promise<void> {
    if (this.#writer === null) throw ioError(this.path, 'fsync refused', new Error('no log'));
    await this.#writer.sync();
  }

  async replace(snapshot: Snapshot): Promise<void> {
    // Keep the permissions the file has now (a user may have changed them since the open).
    this.#mode = await this.#fs.stat(this.path).then(
      (stat) => stat.mode & 0o7777,
      () => this.#mode,
    );
    const replaced = await replaceFile(this.#fs, this.path, snapshot.chunks(), this.#mode);
    const old = this.#writer;
    this.#writer = new LogWriter(this.path, replaced.handle, replaced.size);
    this.#uncommitted = replaced.uncommitted !== null;
    if (old !== null) await old.close().catch(() => {});
    if (replaced.uncommitted !== null) throw replaced.uncommitted;
  }

  async close(): Promise<void> {
    const writer = this.#writer;
    const release = this.#release;
    this.#writer = null;
    this.#release = null;
    try {
      if (writer !== null) await writer.close();
    } finally {
      if (release !== null) await release();
    }
  }
}
