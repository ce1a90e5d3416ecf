/**
 * @module hub/storage
 * Where a hub keeps its model between runs, behind a small interface so that the hub does not
 * depend on one storage engine. The default stores the model with `persist()` of
 * `scuttlebutt-ts/persist` (issue 6) in `DATA_DIR/model.jsonl`.
 */
import type { Model } from '../models/model.js';

/** A hub's storage: load before serving, flush and close on shutdown. */
export interface HubStorage {
  /** For logs: `memory`, or the path of the data. */
  readonly description: string;
  /** Loads the stored state into `model` and starts saving every later change. */
  load(model: Model): Promise<void>;
  /** Makes every change so far durable. */
  flush(): Promise<void>;
  /** Flushes and releases the files. */
  close(): Promise<void>;
}

/**
 * Storage that keeps nothing: the model lives as long as the process (`serve --memory`).
 * @returns a {@link HubStorage}
 */
export function memoryStorage(): HubStorage {
  return {
    description: 'memory',
    load: async () => {},
    flush: async () => {},
    close: async () => {},
  };
}
