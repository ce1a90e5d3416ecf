/**
 * @module cli/progress-bar
 * The progress bar of a client's initial sync, drawn on stderr when it is a terminal (and never
 * otherwise, so scripts and logs stay clean): `syncing [#######.............]  35%  12 034 updates  1.2 MB`.
 */
import type { SyncProgress } from '../net/connection.js';

const WIDTH = 24;

/** Formats a byte count: `812 B`, `4.1 kB`, `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/**
 * The text of the bar for one progress report.
 * @param progress - from the connection's `progress` event
 * @returns one line, without a newline
 */
export function renderProgress(progress: SyncProgress): string {
  const filled = Math.round(progress.fraction * WIDTH);
  const percent = String(Math.round(progress.fraction * 100)).padStart(3);
  return `syncing [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${percent}%  ${progress.updates} updates  ${formatBytes(progress.bytes)}`;
}

/** A bar on a terminal stream: {@link update} redraws it in place, {@link clear} removes it. */
export class ProgressBar {
  readonly #out: NodeJS.WritableStream;
  #drawn = false;

  /** @param out - a TTY stream (stderr) */
  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  /** Redraws the bar. */
  update(progress: SyncProgress): void {
    this.#out.write(`\r\x1b[2K${renderProgress(progress)}`);
    this.#drawn = true;
  }

  /** Erases the bar, if drawn. */
  clear(): void {
    if (!this.#drawn) return;
    this.#out.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
