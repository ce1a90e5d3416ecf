/**
 * @module test/helpers/persist-fs
 * Test helpers for the persistence suites: temporary directories registered for teardown, and a
 * file system that fails like real hardware. `createFaultyFs()` wraps Node's real file system
 * (the store's `fs` seam) and injects failures at the system-call boundary: a disk that fills up
 * after N bytes (ENOSPC, with the short write a full disk really does), an fsync that fails
 * (EIO), a rename or directory fsync that fails. The store's own code runs unchanged above it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { nodeFs, type StoreFileHandle, type StoreFs } from '../../src/persist/index.ts';

/** A fresh directory, removed after the test. */
export function tempDir(t: TestContext, prefix = 'sb-persist-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A system error with a code, as Node's fs raises them. */
export function systemError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: injected failure, ${syscall}${path ? ` '${path}'` : ''}`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/** What to break; every switch can be flipped while the store runs. */
export interface Faults {
  /** Bytes still free on the "disk" for data writes (Infinity: no limit). A write beyond it is short, the next one fails with ENOSPC. */
  freeBytes: number;
  /** fdatasync/fsync of files fails with EIO. */
  failSync: boolean;
  /** rename fails with EIO. */
  failRename: boolean;
  /** The directory fsync fails with EIO. */
  failDirSync: boolean;
  /** Opening a file whose name ends with this fails with EACCES. */
  denyOpenSuffix: string | null;
  /** Every call, for assertions: `['write', path, bytes]`, `['datasync', path]`, … */
  readonly calls: [string, string, number?][];
}

/**
 * Node's file system with injected faults.
 * @example
 * ```ts
 * const { fs, faults } = createFaultyFs(); faults.freeBytes = 100
 * const store = persist(model, file, { fs })
 * ```
 */
export function createFaultyFs(): { fs: StoreFs; faults: Faults } {
  const faults: Faults = {
    freeBytes: Number.POSITIVE_INFINITY,
    failSync: false,
    failRename: false,
    failDirSync: false,
    denyOpenSuffix: null,
    calls: [],
  };
  const wrap = (path: string, handle: StoreFileHandle): StoreFileHandle => ({
    read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
    async write(buffer, offset, length, position) {
      faults.calls.push(['write', path, length]);
      if (faults.freeBytes <= 0) throw systemError('ENOSPC', 'write', path);
      const allowed = Math.min(length, faults.freeBytes);
      const n = await handle.write(buffer, offset, allowed, position);
      faults.freeBytes -= n;
      return n;
    },
    async datasync() {
      faults.calls.push(['datasync', path]);
      if (faults.failSync) throw systemError('EIO', 'fdatasync', path);
      return handle.datasync();
    },
    async sync() {
      faults.calls.push(['sync', path]);
      if (faults.failSync) throw systemError('EIO', 'fsync', path);
      return handle.sync();
    },
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  });
  const fs: StoreFs = {
    async open(path, flags, mode) {
      faults.calls.push(['open', path]);
      if (faults.denyOpenSuffix !== null && path.endsWith(faults.denyOpenSuffix)) throw systemError('EACCES', 'open', path);
      return wrap(path, await nodeFs.open(path, flags, mode));
    },
    stat: (path) => nodeFs.stat(path),
    async rename(from, to) {
      faults.calls.push(['rename', to]);
      if (faults.failRename) throw systemError('EIO', 'rename', from);
      return nodeFs.rename(from, to);
    },
    unlink: (path) => nodeFs.unlink(path),
    readFile: (path) => nodeFs.readFile(path),
    async syncDirectory(path) {
      faults.calls.push(['syncDirectory', path]);
      if (faults.failDirSync) throw systemError('EIO', 'fsync', path);
      return nodeFs.syncDirectory(path);
    },
  };
  return { fs, faults };
}
