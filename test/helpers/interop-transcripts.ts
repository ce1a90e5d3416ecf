/**
 * @module test/helpers/interop-transcripts
 * The scripted sequences of original-behaviour.md §1.5 (a) (Model), §1.5 (b) (Events) and §1.6
 * (a persistence file), runnable on the original 5.6.15 and on ours with the same wall-clock
 * readings, in process over json streams. Each run returns the lines each side wrote, so they can
 * be compared with the golden frames in `test/fixtures/v5.6.15/`.
 *
 * Time: the original reads `Date.now` through monotonic-timestamp, so its calls are wrapped in
 * {@link withDateNow}; ours get `now: () => wall.ms`.
 */
import type { EventEmitter } from 'node:events';
import { Events, Model, type ReplicationStream } from '../../src/index.ts';
import { EventLog, waitFor } from './interop-net.ts';
import { loadOriginal, type OriginalModel, type OriginalStream, resetOriginalTimestamp, withDateNow } from './interop-original.ts';

/** The stubbed wall clock of the transcripts: 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000_000;

/** A golden line and whether it is an echo (an update sent back to its own source). */
export interface GoldenLine {
  readonly line: string;
  readonly echo: boolean;
}

/** What each side wrote, line by line. */
export interface Transcript {
  readonly aToB: string[];
  readonly bToA: string[];
}

/** The golden file of a transcript. */
export interface GoldenTranscript {
  readonly description: string;
  readonly aToB: GoldenLine[];
  readonly bToA: GoldenLine[];
  readonly final: Record<string, unknown>;
}

/** A settable wall clock for our models. */
export class Wall {
  ms = T0;
  readonly now = (): number => this.ms;
}

/** Records the lines a stream emits (`data` events; one or more whole lines per chunk). */
function captureLines(stream: EventEmitter): string[] {
  const lines: string[] = [];
  let rest = '';
  stream.on('data', (chunk: Buffer | string) => {
    const parts = (rest + String(chunk)).split('\n');
    rest = parts.pop() as string;
    lines.push(...parts);
  });
  return lines;
}

/** Flags each line that is an update whose source is `receiverId`: an echo. */
export function flagEchoes(lines: readonly string[], receiverId: string): GoldenLine[] {
  return lines.map((line) => {
    const value = JSON.parse(line) as unknown;
    return { line, echo: Array.isArray(value) && value[2] === receiverId };
  });
}

/** Connects two json streams in process and waits until both emitted `sync`. */
async function pipeAndSync(as: EventEmitter, bs: EventEmitter): Promise<Transcript> {
  const aToB = captureLines(as);
  const bToA = captureLines(bs);
  const logs = [new EventLog(as, ['sync']), new EventLog(bs, ['sync'])];
  (as as unknown as NodeJS.ReadableStream).pipe(bs as unknown as NodeJS.WritableStream);
  (bs as unknown as NodeJS.ReadableStream).pipe(as as unknown as NodeJS.WritableStream);
  await Promise.all(logs.map((log) => log.wait('sync')));
  return { aToB, bToA };
}

/**
 * §1.5 (a) on two originals: A sets foo=bar and n=1 at T0, connects to an empty B; at T0+5 A
 * sets foo=baz and then B sets x=null (B's timestamp is T0+5+1/1001: monotonic-timestamp is
 * shared by the whole process).
 */
export async function runOriginalTranscriptA(): Promise<Transcript & { a: OriginalModel; b: OriginalModel }> {
  const { Model: OriginalModelCtor } = loadOriginal();
  resetOriginalTimestamp();
  const a = new OriginalModelCtor('A');
  const b = new OriginalModelCtor('B');
  withDateNow(T0, () => {
    a.set('foo', 'bar');
    a.set('n', 1);
  });
  const as = a.createStream();
  const bs = b.createStream();
  const transcript = await pipeAndSync(as, bs);
  withDateNow(T0 + 5, () => a.set('foo', 'baz'));
  await waitFor(() => b.get('foo') === 'baz', 'foo=baz to reach B');
  withDateNow(T0 + 5, () => b.set('x', null));
  await waitFor(() => transcript.aToB.length >= 6 && transcript.bToA.length >= 4, 'the live lines and echoes');
  closeOriginal(as, bs);
  return { ...transcript, a, b };
}

/** §1.5 (a) on two of our Models, with the same wall-clock readings. */
export async function runOursTranscriptA(): Promise<Transcript & { a: Model; b: Model }> {
  const wall = new Wall();
  const a = new Model({ id: 'A', now: wall.now });
  const b = new Model({ id: 'B', now: wall.now });
  a.set('foo', 'bar');
  a.set('n', 1);
  const as = a.createStream();
  const bs = b.createStream();
  const transcript = await pipeAndSync(as, bs);
  wall.ms = T0 + 5;
  a.set('foo', 'baz');
  await waitFor(() => b.get('foo') === 'baz', 'foo=baz to reach B');
  b.set('x', null);
  await waitFor(() => a.get('x') === null, 'x=null to reach A');
  await settleStreams(as, bs);
  return { ...transcript, a, b };
}

/**
 * §1.5 (b) on two original Events: A emits msg('hello', 1, {x:[1,2]}) and msg('hello') at T0, B
 * emits other() at T0+1; they connect; at T0+2 B emits msg('live').
 */
export async function runOriginalTranscriptB(): Promise<Transcript> {
  const { Events: OriginalEventsCtor } = loadOriginal();
  resetOriginalTimestamp();
  const a = new OriginalEventsCtor('A');
  const b = new OriginalEventsCtor('B');
  withDateNow(T0, () => {
    a.emit('msg', 'hello', 1, { x: [1, 2] });
    a.emit('msg', 'hello');
  });
  withDateNow(T0 + 1, () => b.emit('other'));
  const as = a.createStream();
  const bs = b.createStream();
  const transcript = await pipeAndSync(as, bs);
  withDateNow(T0 + 2, () => b.emit('msg', 'live'));
  await waitFor(() => transcript.aToB.length >= 5 && transcript.bToA.length >= 4, 'the live line and its echo');
  closeOriginal(as, bs);
  return transcript;
}

/** §1.5 (b) on two of our Events. */
export async function runOursTranscriptB(): Promise<Transcript & { a: Events; b: Events }> {
  const wall = new Wall();
  const a = new Events({ id: 'A', now: wall.now });
  const b = new Events({ id: 'B', now: wall.now });
  a.emit('msg', 'hello', 1, { x: [1, 2] });
  a.emit('msg', 'hello');
  wall.ms = T0 + 1;
  b.emit('other');
  const as = a.createStream();
  const bs = b.createStream();
  const transcript = await pipeAndSync(as, bs);
  wall.ms = T0 + 2;
  b.emit('msg', 'live');
  await waitFor(() => a.history().length === 4, 'the live event to reach A');
  await settleStreams(as, bs);
  return { ...transcript, a, b };
}

/**
 * §1.6 on the original: k1 at T0, k2 at T0+1, k1=null at T0+2, then a tailing
 * `createReadStream()`, k3 at T0+3, and `dispose()`. Returns the bytes the stream wrote.
 */
export async function runOriginalPersist(): Promise<string> {
  const { Model: OriginalModelCtor } = loadOriginal();
  resetOriginalTimestamp();
  const a = new OriginalModelCtor('A');
  withDateNow(T0, () => a.set('k1', 'v1'));
  withDateNow(T0 + 1, () => a.set('k2', { deep: [1, 'x'] }));
  withDateNow(T0 + 2, () => a.set('k1', null));
  const rs = a.createReadStream();
  const lines = captureLines(rs);
  const log = new EventLog(rs, ['end']);
  await waitFor(() => lines.includes('"SYNC"'), 'the history');
  withDateNow(T0 + 3, () => a.set('k3', 3));
  a.dispose();
  await log.wait('end');
  return lines.map((line) => `${line}\n`).join('');
}

/** §1.6 on ours, with the same wall-clock readings. */
export async function runOursPersist(): Promise<string> {
  const wall = new Wall();
  const a = new Model({ id: 'A', now: wall.now });
  a.set('k1', 'v1');
  wall.ms = T0 + 1;
  a.set('k2', { deep: [1, 'x'] });
  wall.ms = T0 + 2;
  a.set('k1', null);
  const rs = a.createReadStream();
  const lines = captureLines(rs);
  const log = new EventLog(rs, ['end']);
  await waitFor(() => lines.includes('"SYNC"'), 'the history');
  wall.ms = T0 + 3;
  a.set('k3', 3);
  a.dispose();
  await log.wait('end');
  return lines.map((line) => `${line}\n`).join('');
}

/** Lets our streams flush what they queued (a macrotask turn covers their microtask flush). */
async function settleStreams(...streams: ReplicationStream[]): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  for (const stream of streams) stream.destroy();
}

function closeOriginal(...streams: OriginalStream[]): void {
  for (const stream of streams) stream.destroy();
}
