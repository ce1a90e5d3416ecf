/**
 * @module persist/fs
 * The file system a file store uses: the few calls it makes, as an interface. The default is
 * Node's `fs/promises`. Passing another implementation (`persist(model, path, { fs })`) lets a
 * test inject real failure modes — a full disk (`ENOSPC` after N bytes), a failing fsync — at the
 * system-call boundary, below every line of the store's own code.
 */
import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';

/** An open file. Positions are explicit: the store never relies on a file offset. */
export interface StoreFileHandle {
  /** Reads up to `length` bytes at `position` into `buffer[offset…]`; returns the count (0 at the end). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Writes `buffer[offset … offset+length)` at `position`; returns the count written (maybe fewer). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** fdatasync: the data and the size are on stable storage. */
  datasync(): Promise<void>;
  /** fsync: data and all metadata. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** What the store needs to know of a path. */
export interface StoreStat {
  readonly size: number;
  /** Permission bits, kept by compaction. */
  readonly mode: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** The file system calls of a file store. */
export interface StoreFs {
  /** `flags`: `'r'`, `'r+'`, `'w'` (create or truncate), `'wx'` (create, fail if it exists), `'a'`. */
  open(path: string, flags: 'r' | 'r+' | 'w' | 'wx' | 'a', mode?: number): Promise<StoreFileHandle>;
  stat(path: string): Promise<StoreStat>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** fsync a directory, so that a rename or a new file in it survives a power cut. */
  syncDirectory(path: string): Promise<void>;
}

/**
 * Node's file system.
 * @example
 * ```ts
 * persist(model, 'a.sb', { fs: { ...nodeFs, rename: slowRename } })
 * ```
 */
export const nodeFs: StoreFs = Object.freeze({
  async open(path: string, flags: 'r' | 'r+' | 'w' | 'wx' | 'a', mode?: number): Promise<StoreFileHandle> {
    const handle = await open(path, flags, mode);
    return {
      read: async (buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead,
      write: async (buffer, offset, length, position) => (await handle.write(buffer, offset, length, position)).bytesWritten,
      datasync: () => handle.datasync(),
      sync: () => handle.sync(),
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  },
  stat: (path: string) => stat(path),
  rename: (from: string, to: string) => rename(from, to),
  unlink: (path: string) => unlink(path),
  readFile: (path: string) => readFile(path),
  async syncDirectory(path: string): Promise<void> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, constants.O_RDONLY);
    } catch (error) {
      // Windows cannot open a directory; its rename is durable through the NTFS journal.
      if (process.platform === 'win32') return;
      throw error;
    }
    try {
      await handle.sync();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (!(process.platform === 'win32' && (code === 'EPERM' || code === 'EISDIR'))) throw error;
    } finally {
      await handle.close();
    }
  },
});
