/**
 * @module test/helpers/interop-models
 * Loads the original data-model packages (r-array 0.5.3, crdt 3.6.4, scuttlebucket 0.2.3,
 * expiry-model 1.0.2: dev dependencies) for the model interop suites, with the small typed surface
 * the tests use, and connects one of ours to one of theirs over TCP.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Scuttlebutt } from '../../src/index.ts';
import { connectOursAndOriginal, type Role, type Scope } from './interop-net.ts';
import { asWire, type OriginalScuttlebutt, type OriginalStream } from './interop-original.ts';

const require = createRequire(import.meta.url);

/** r-array's RArray. */
export interface OriginalRArray extends OriginalScuttlebutt {
  push(value: unknown): void;
  unshift(value: unknown): void;
  pop(): unknown;
  shift(): unknown;
  splice(start: number, deleteCount: number, ...items: unknown[]): void;
  insert(before: string | null, value: unknown, after: string | null): string;
  set(key: string, value: unknown): void;
  unset(key: string): void;
  get(key: string): unknown;
  first(): string;
  last(): string;
  keys: string[];
  length: number;
  toJSON(): unknown[];
}

/** crdt's Row. */
export interface OriginalRow extends EventEmitter {
  id: string;
  state: Record<string, unknown>;
  set(key: string | Record<string, unknown>, value?: unknown): OriginalRow;
  get(key?: string): unknown;
}

/** crdt's Doc. */
export interface OriginalDoc extends OriginalScuttlebutt {
  add(obj: Record<string, unknown>): OriginalRow;
  set(id: string, obj: Record<string, unknown> | null): OriginalRow;
  get(id: string): OriginalRow;
  rm(id: string): void;
  rows: Record<string, OriginalRow>;
  createSeq(key: string, value: unknown): { push(obj: Record<string, unknown>): OriginalRow; toJSON(): Array<Record<string, unknown>> };
  toJSON(): Record<string, Record<string, unknown>>;
}

/** scuttlebucket's Scuttlebucket. */
export interface OriginalBucket extends OriginalScuttlebutt {
  add(name: string, part: OriginalScuttlebutt): OriginalBucket;
  get(name: string): OriginalScuttlebutt & { set(k: string, v: unknown): void; get(k: string): unknown; toJSON(): unknown };
  toJSON(): Record<string, unknown>;
}

/** expiry-model's model (a patched plain Scuttlebutt). */
export interface OriginalExpiry extends OriginalScuttlebutt {
  set(key: string, value: unknown): void;
  get(key: string): unknown;
  toJSON(): Record<string, unknown>;
}

export const OriginalRArray = require('r-array') as new () => OriginalRArray;
export const OriginalDoc = require('crdt') as new (id?: string) => OriginalDoc;
export const OriginalBucket = require('scuttlebucket') as new (id?: string) => OriginalBucket;
export const OriginalExpiry = require('expiry-model') as (options?: { maxAge?: number; max?: number }) => OriginalExpiry;
export const OriginalModel = require('scuttlebutt/model') as new (
  id?: string,
) => OriginalScuttlebutt & {
  set(k: string, v: unknown): void;
  get(k: string): unknown;
  toJSON(): Record<string, unknown>;
};
export const OriginalEvents = require('scuttlebutt/events') as new (id?: string) => OriginalScuttlebutt;

/** A JSON copy: plain objects, comparable with deepEqual whatever their prototype. */
export const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

/** Connects `ours` and `orig` over TCP (ours taking `role`) and waits for `sync` on both. */
export async function linkOverTcp(s: Scope, role: Role, ours: Scuttlebutt, orig: OriginalScuttlebutt) {
  const link = await connectOursAndOriginal(
    s,
    role,
    () => ours.createStream({ name: 'ours' }),
    () => asWire(orig.createStream({ name: 'original' }) as OriginalStream),
  );
  await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
  return link;
}

/** Connects two originals in process (json streams) and lets them sync. */
export async function linkOriginals(a: OriginalScuttlebutt, b: OriginalScuttlebutt): Promise<() => void> {
  const as = a.createStream();
  const bs = b.createStream();
  (as.pipe(bs as unknown as NodeJS.WritableStream) as unknown as OriginalStream).pipe(as as unknown as NodeJS.WritableStream);
  await new Promise((resolve) => setTimeout(resolve, 20));
  return () => {
    as.destroy();
    bs.destroy();
  };
}
