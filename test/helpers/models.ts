/**
 * @module test/helpers/models
 * Helpers for the data-model tests (issue 8): a tiny Standard Schema v1 validator (no
 * dependency), a stream pair that waits for sync, and a wait for live updates to flush.
 */

import type { Scuttlebutt } from '../../src/index.ts';
import type { StandardSchemaV1 } from '../../src/models/_schema.ts';
import { connect } from './streams.ts';

/** A Standard Schema v1 validator from a predicate. */
export function schemaOf<T>(check: (value: unknown) => value is T, message = 'invalid value'): StandardSchemaV1<unknown, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value: unknown) => (check(value) ? { value } : { issues: [{ message }] }),
    },
  };
}

/** A validator that answers with a promise (refused by the models). */
export function asyncSchema<T>(): StandardSchemaV1<unknown, T> {
  return { '~standard': { version: 1, vendor: 'test', validate: async (value: unknown) => ({ value: value as T }) } };
}

/** Lets queued output flow (a few macrotask turns). */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Connects two models, waits for sync, and returns a function that closes the link. */
export async function link(a: Scuttlebutt, b: Scuttlebutt): Promise<() => Promise<void>> {
  const { as, bs } = await connect(a, b);
  return async () => {
    as.destroy();
    bs.destroy();
    await flush();
  };
}

/** Feeds raw lines into a fresh stream of `model` after a valid header; returns the stream's error, if any. */
export async function feed(model: Scuttlebutt, lines: unknown[]): Promise<Error | undefined> {
  const stream = model.createStream();
  let error: Error | undefined;
  stream.on('error', (err: Error) => {
    error = err;
  });
  stream.resume();
  stream.write(`${JSON.stringify({ id: 'X', clock: {} })}\n`);
  for (const line of lines) stream.write(`${JSON.stringify(line)}\n`);
  await flush();
  stream.destroy();
  await flush();
  return error;
}
