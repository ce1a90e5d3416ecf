/**
 * @module persist/_web-lock
 * One store per browser store name across tabs and workers, with the Web Locks API: two tabs
 * appending to one log would be fine, but one tab's compaction would drop the other's updates.
 * Where the API is missing (old browsers, non-secure contexts) there is no lock.
 */
import { StoreError } from './store-error.js';

/**
 * Takes the exclusive lock `scuttlebutt-ts:<kind>:<name>` without waiting.
 * @param kind - `'idb'` or `'ls'`
 * @param name - the store name
 * @returns a function that releases it
 * @throws StoreError ERR_SB_STORE_LOCKED when another tab or worker holds it
 */
export function acquireWebLock(kind: string, name: string): Promise<() => void> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks === undefined) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks
      .request(`scuttlebutt-ts:${kind}:${name}`, { ifAvailable: true }, (lock) => {
        if (lock === null) {
          reject(new StoreError('ERR_SB_STORE_LOCKED', name, 'another tab or worker has this store open'));
          return undefined;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}
