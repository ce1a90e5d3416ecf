/**
 * @module hub/file-storage
 * The hub's default storage: `persist(model, DATA_DIR/model.jsonl)` from `scuttlebutt-ts/persist`
 * (issue 6): the model is loaded before the hub serves, every update is appended as it is
 * applied, and shutdown flushes and closes the file.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Model } from '../models/model.js';
import { type Durability, type PersistentStore, persist } from '../persist/index.js';
import type { HubStorage } from './storage.js';

/** The file name of the model in the data directory. */
export const MODEL_FILE = 'model.jsonl';

/**
 * The file that keeps the hub's id across restarts. A new id at every start would add one more
 * source to every replica's vector clock per restart, forever.
 */
export const ID_FILE = 'id';

/** Options of {@link fileStorage}. */
export interface FileStorageOptions {
  /** When appended updates reach stable storage (default `'fsync'`, group-committed); see `persist`. */
  readonly durability?: Durability;
}

/**
 * Storage in `dataDir/model.jsonl` through `persist()`. The directory is created if missing;
 * a second hub on the same directory fails to start (the store holds a lock). The hub's id is
 * kept in `dataDir/id`: the first start writes it, later starts take it (over `--id`).
 * @param dataDir - the data directory
 * @param options - durability
 * @returns a {@link HubStorage}
 * @example
 * ```ts
 * const hub = await startHub({ storage: fileStorage('./data', { durability: 'batch' }) })
 * ```
 */
export function fileStorage(dataDir: string, options: FileStorageOptions = {}): HubStorage {
  const dir = resolve(dataDir);
  const path = join(dir, MODEL_FILE);
  let store: PersistentStore | null = null;
  return {
    description: path,
    async load(model: Model) {
      await mkdir(dir, { recursive: true });
      const idPath = join(dir, ID_FILE);
      const saved = await readFile(idPath, 'utf8').then(
        (text) => text.trim(),
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return '';
          throw error;
        },
      );
      if (saved !== '') model.setId(saved);
      else await writeFile(idPath, `${model.id}\n`, { mode: 0o644 });
      const opened = persist(model, path, options.durability === undefined ? {} : { durability: options.durability });
      store = opened;
      await opened.ready;
    },
    async flush() {
      await store?.flush();
    },
    async close() {
      const s = store;
      store = null;
      if (s === null) return;
      await s.flush();
      await s.close();
    },
  };
}
