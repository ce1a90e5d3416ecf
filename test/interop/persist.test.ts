/**
 * Interop: persistence files. A file written by the original's `createReadStream()` (through
 * `fs.createWriteStream`) loads into our `createWriteStream()`, and a file written by ours loads
 * into the original's, giving the same `toJSON()` and history. Both the `tail: false` form (the
 * stream ends after `"SYNC"`) and the tailing form ended by `dispose()` (a live line follows
 * `"SYNC"`, original-behaviour.md §1.6).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { EventLog, type Scope, scope, WAIT_MS, waitFor } from '../helpers/interop-net.ts';
import { asWire, loadOriginal, type OriginalModel } from '../helpers/interop-original.ts';

const Original = loadOriginal();
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

async function tmpFile(s: Scope, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-interop-'));
  s.defer(() => rm(dir, { recursive: true, force: true }));
  return join(dir, name);
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The same sequence of writes on either implementation: overwrites, a deletion, falsy and non-ASCII values. */
function fill(model: { set(key: string, value: unknown): unknown }): void {
  model.set('k1', 'v1');
  model.set('k2', { deep: [1, 'x'] });
  model.set('k1', null);
  model.set('unicode', '😀 héllo 世界');
  model.set('zero', 0);
  model.set('no', false);
  model.set('k2', { deep: [2, 'y'], more: { a: null } });
}

const EXPECTED = { k2: { deep: [2, 'y'], more: { a: null } }, unicode: '😀 héllo 世界', zero: 0, no: false };

/** Loads a file into our model through `createWriteStream()`; resolves when the stream finished. */
async function loadIntoOurs(file: string): Promise<{ model: Model; log: EventLog }> {
  const model = new Model('LOADED');
  const events = new EventLog(model, ['invalid']);
  const stream = model.createWriteStream();
  const log = new EventLog(stream, ['sync', 'error']);
  createReadStream(file).pipe(stream);
  await withTimeout(once(stream, 'finish'), 'our write stream to finish');
  assert.equal(log.count('error'), 0, `our write stream failed: ${String(log.firstArgs('error')[0])}`);
  assert.equal(events.count('invalid'), 0);
  return { model, log };
}

/** Loads a file into an original model through its `createWriteStream()`. */
async function loadIntoOriginal(file: string): Promise<OriginalModel> {
  const model = new Original.Model('LOADED');
  const stream = model.createWriteStream();
  const closed = once(stream, 'close');
  createReadStream(file).pipe(asWire(stream));
  await withTimeout(closed, "the original's write stream to close");
  return model;
}

describe('persistence files between ours and the original 5.6.15', () => {
  it("loads a file written by the original's createReadStream({tail: false}) into our createWriteStream()", async (t) => {
    const s = scope(t);
    const file = await tmpFile(s, 'original.jsonl');
    const orig = new Original.Model('ORIG');
    fill(orig);
    const out = createWriteStream(file);
    orig.createReadStream({ tail: false }).pipe(out);
    await withTimeout(finished(out), 'the file to be written');

    const { model, log } = await loadIntoOurs(file);
    assert.deepEqual(plain(model.toJSON()), EXPECTED);
    assert.deepEqual(plain(model.toJSON()), plain(orig.toJSON()));
    assert.deepEqual(plain(model.history()), plain(orig.history()));
    assert.equal(model.get('k1'), null, 'the deletion is kept as a tombstone');
    assert.equal(log.count('sync'), 1, 'the file ends its history with "SYNC"');
  });

  it("loads a file written by the original's tailing createReadStream(), ended by dispose(), into ours", async (t) => {
    const s = scope(t);
    const file = await tmpFile(s, 'original-tail.jsonl');
    const orig = new Original.Model('ORIG');
    fill(orig);
    const out = createWriteStream(file);
    const rs = orig.createReadStream();
    const rsLog = new EventLog(rs, ['end']);
    rs.pipe(out);
    await waitFor(() => out.bytesWritten > 0, 'the history to reach the file');
    orig.set('live', 'written after SYNC');
    orig.dispose();
    await withTimeout(finished(out), 'the file to be closed after dispose()');
    assert.equal(rsLog.count('end'), 1);
    const text = await readFile(file, 'utf8');
    assert.match(text, /"SYNC"\n\[\["live","written after SYNC"\],[0-9.]+,"ORIG"\]\n$/, 'a live line follows "SYNC"');

    const { model } = await loadIntoOurs(file);
    assert.deepEqual(plain(model.toJSON()), { ...EXPECTED, live: 'written after SYNC' });
    assert.deepEqual(plain(model.history()), plain(orig.history()));
  });

  it("writes a file with our createReadStream({tail: false}) that the original's createWriteStream() loads", async (t) => {
    const s = scope(t);
    const file = await tmpFile(s, 'ours.jsonl');
    const ours = new Model('OURS');
    fill(ours);
    const out = createWriteStream(file);
    ours.createReadStream({ tail: false }).pipe(out);
    await withTimeout(finished(out), 'our read stream to end and the file to close');

    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a newline');
    assert.equal(lines.at(-1), '"SYNC"', 'tail: false ends right after "SYNC"');
    assert.deepEqual(JSON.parse(lines[0] as string), { id: 'OURS', clock: plain(ours.sources) });

    const loaded = await loadIntoOriginal(file);
    assert.deepEqual(plain(loaded.toJSON()), EXPECTED);
    assert.deepEqual(plain(loaded.history()), plain(ours.history()));
    assert.equal(loaded.get('k1'), null, 'the original got the tombstone');
  });

  it('writes a file with our tailing createReadStream(), ended by dispose(), that the original loads', async (t) => {
    const s = scope(t);
    const file = await tmpFile(s, 'ours-tail.jsonl');
    const ours = new Model('OURS');
    fill(ours);
    const out = createWriteStream(file);
    ours.createReadStream().pipe(out);
    await waitFor(() => out.bytesWritten > 0, 'the history to reach the file');
    ours.set('live', 'written after SYNC');
    ours.dispose();
    await withTimeout(finished(out), 'the file to be closed after dispose()');
    const text = await readFile(file, 'utf8');
    assert.match(text, /"SYNC"\n\[\["live","written after SYNC"\],[0-9.]+,"OURS"\]\n$/, 'a live line follows "SYNC"');

    const loaded = await loadIntoOriginal(file);
    assert.deepEqual(plain(loaded.toJSON()), { ...EXPECTED, live: 'written after SYNC' });
    assert.deepEqual(plain(loaded.history()), plain(ours.history()));
  });
  it('closes our createWriteStream() and emits unstream(0) once the file is read, as the original does', async (t) => {
    scope(t);
    const file = new URL('../fixtures/v5.6.15/model-persist.txt', import.meta.url);

    // Control: the original's write stream closes when its input ends (original-behaviour.md §1.3 step 5).
    const orig = new Original.Model('ORIG');
    const origUnstream = new EventLog(orig, ['unstream']);
    const origStream = orig.createWriteStream();
    const origClosed = once(origStream, 'close');
    createReadStream(file).pipe(asWire(origStream));
    await withTimeout(origClosed, "the original's write stream to close");
    assert.deepEqual(origUnstream.firstArgs('unstream'), [0]);

    const ours = new Model('OURS');
    const oursUnstream = new EventLog(ours, ['unstream']);
    const stream = ours.createWriteStream();
    const log = new EventLog(stream, ['finish', 'close']);
    createReadStream(file).pipe(stream);
    await log.wait('finish');
    assert.deepEqual(plain(ours.toJSON()), { k2: { deep: [1, 'x'] }, k3: 3 });
    await log.wait('close', 1, 500);
    assert.deepEqual(oursUnstream.firstArgs('unstream'), [0]);
    assert.equal(ours.streamCount, 0, 'the model no longer holds the stream');
  });
});
