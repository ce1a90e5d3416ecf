/**
 * @module persist/lock
 * One writer per file. Two stores appending to one log would overwrite each other's lines, and
 * one store's compaction would drop the other's updates, so a store holds `<path>.lock` while it
 * is open: created exclusively (`O_EXCL`), holding `pid host`, removed on close.
 *
 * A lock left by a process that died (kill -9, power cut) is taken over when its process is
 * gone: same host and `process.kill(pid, 0)` says ESRCH, or the same pid as ours but not held
 * in this process (a restarted container often gets the same pid). A lock from another host
 * is never taken over. Two processes taking over the same stale lock at the same instant are
 * not told apart; `lock: false` turns locking off.
 */
import { hostname } from 'node:os';
import type { StoreFs } from './fs.js';
import { ioError, StoreError } from './store-error.js';

/** Paths this process holds locks on. */
const held = new Set<string>();

/**
 * Takes the lock of `path`.
 * @param fs - the file system
 * @param path - the store's file (the lock is `path + '.lock'`)
 * @returns a function that releases the lock (idempotent, never throws)
 * @throws StoreError ERR_SB_STORE_LOCKED when another live store holds it, ERR_SB_STORE_IO
 * @example
 * ```ts
 * const release = await acquireLock(nodeFs, '/data/a.sb'); try { … } finally { await release() }
 * ```
 */
export async function acquireLock(fs: StoreFs, path: string): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  if (held.has(lockPath)) {
    throw new StoreError('ERR_SB_STORE_LOCKED', path, 'another store of this process has this file open; close it first');
  }
  held.add(lockPath);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await fs.open(lockPath, 'wx', 0o644);
        try {
          const text = new TextEncoder().encode(`${process.pid} ${hostname()}\n`);
          await handle.write(text, 0, text.length, 0);
        } finally {
          await handle.close();
        }
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EEXIST' || attempt > 0) {
          if (error instanceof StoreError) throw error;
          if ((error as { code?: string }).code === 'EEXIST') throw locked(path, lockPath, '');
          throw ioError(path, `cannot create the lock file ${lockPath}`, error);
        }
        const owner = await readOwner(fs, lockPath);
        if (owner !== null && !isStale(owner)) throw locked(path, lockPath, ` by process ${owner.pid} on ${owner.host}`);
        await fs.unlink(lockPath).catch(() => {});
      }
    }
  } catch (error) {
    held.delete(lockPath);
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    held.delete(lockPath);
    await fs.unlink(lockPath).catch(() => {});
  };
}

function locked(path: string, lockPath: string, by: string): StoreError {
  return new StoreError(
    'ERR_SB_STORE_LOCKED',
    path,
    `the file is locked${by} (${lockPath}); if no store has it open any more, delete that file`,
  );
}

interface Owner {
  readonly pid: number;
  readonly host: string;
}

async function readOwner(fs: StoreFs, lockPath: string): Promise<Owner | null> {
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(lockPath));
  } catch {
    return null; // gone in the meantime, or unreadable: try to take it
  }
  const match = /^(\d+) (\S+)/.exec(text);
  if (!match) return null; // torn by a crash while being written
  return { pid: Number(match[1]), host: match[2] as string };
}

function isStale(owner: Owner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return true; // not in `held`: left by an earlier process with our pid
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}
