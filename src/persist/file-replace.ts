/**
 * @module persist/file-replace
 * Replaces a file atomically and durably: write `<path>.tmp`, fsync it, rename it over `<path>`,
 * fsync the directory. A crash at any point leaves either the old file or the new one, both
 * whole: before the rename the old file is untouched (a stale `.tmp` is removed at the next
 * open), after it the new file is complete because it was fsync'd before.
 *
 * Only the directory fsync can fail after the commit; the file at `<path>` is then the new one,
 * but the rename may not survive a power cut. The result says so, and the caller stops
 * appending to it until a later replace succeeds.
 */
import { dirname } from 'node:path';
import type { StoreFileHandle, StoreFs } from './fs.js';
import { ioError, type StoreError } from './store-error.js';

const encoder = new TextEncoder();

/** The temporary file of a replace. */
export function tempPathOf(path: string): string {
  return `${path}.tmp`;
}

/** The file that replaced the old one, open, with its size, and the post-commit failure if any. */
export interface Replaced {
  readonly handle: StoreFileHandle;
  readonly size: number;
  /** Set when the directory fsync failed after the rename (the new file is in place). */
  readonly uncommitted: StoreError | null;
}

/**
 * Writes `chunks` to a new file that replaces `path`.
 * @param fs - the file system
 * @param path - the file to replace (it may not exist yet)
 * @param chunks - the new content
 * @param mode - permission bits of the new file (the old file's, to keep them)
 * @returns the new file, open for appending
 * @throws StoreError ERR_SB_STORE_IO before the commit (the old file is untouched, the temp file removed)
 * @example
 * ```ts
 * const { handle, size } = await replaceFile(nodeFs, '/data/a.sb', ['{"id":"A","clock":{}}\n'], 0o644)
 * ```
 */
export async function replaceFile(fs: StoreFs, path: string, chunks: Iterable<string>, mode: number): Promise<Replaced> {
  const temp = tempPathOf(path);
  let handle: StoreFileHandle;
  try {
    handle = await fs.open(temp, 'w', mode);
  } catch (error) {
    throw ioError(path, `cannot create the temporary file ${temp}`, error);
  }
  let size = 0;
  try {
    for (const chunk of chunks) {
      const bytes = encoder.encode(chunk);
      let written = 0;
      while (written < bytes.length) {
        const n = await handle.write(bytes, written, bytes.length - written, size + written);
        if (n <= 0) throw new Error('the write made no progress');
        written += n;
      }
      size += bytes.length;
    }
    await handle.sync();
    await fs.rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await fs.unlink(temp).catch(() => {});
    throw ioError(path, `writing the snapshot failed; the old file is untouched`, error);
  }
  let uncommitted: StoreError | null = null;
  try {
    await fs.syncDirectory(dirname(path));
  } catch (error) {
    uncommitted = ioError(path, 'the directory fsync after the rename failed', error);
  }
  return { handle, size, uncommitted };
}
