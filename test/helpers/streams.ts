/**
 * @module test/helpers/streams
 * Small helpers shared by the unit tests: connect two models in process, wait for events.
 */
import { once } from 'node:events';
import type { ReplicationStream, Scuttlebutt, StreamOptions } from '../../src/index.ts';

/** Connects two models with a pair of streams and waits until both emitted `sync`. */
export async function connect(
  a: Scuttlebutt,
  b: Scuttlebutt,
  optsA: StreamOptions = {},
  optsB: StreamOptions = {},
): Promise<{ as: ReplicationStream; bs: ReplicationStream }> {
  const as = a.createStream(optsA);
  const bs = b.createStream(optsB);
  const synced = Promise.all([once(as, 'sync'), once(bs, 'sync')]);
  as.pipe(bs).pipe(as);
  await withTimeout(synced, 2000, 'sync');
  return { as, bs };
}

/** Rejects if `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets queued microtasks and one macrotask turn run (stream flushes). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits until `check()` is true, failing after `ms`. */
export async function until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Collects everything a stream outputs as text. */
export function capture(stream: NodeJS.ReadableStream): { text: () => string; lines: () => string[] } {
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer | string) => chunks.push(String(chunk)));
  return {
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0),
  };
}
