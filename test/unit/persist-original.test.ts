import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Events, Model } from '../../src/index.ts';
import { type PersistentStore, persist } from '../../src/persist/index.ts';
import { tempDir } from '../helpers/persist-fs.ts';

// The original scuttlebutt@5.6.15, CommonJS and untyped: the small surface used here.
interface OriginalStream extends NodeJS.EventEmitter {
  pipe<T extends NodeJS.WritableStream>(destination: T): T;
  write(chunk: unknown): unknown;
  end(): void;
}
interface OriginalModel extends NodeJS.EventEmitter {
  set(key: string, value: unknown): void;
  get(key: string): unknown;
  keys(): string[];
  toJSON(): Record<string, unknown>;
  history(): unknown[];
  createReadStream(options?: { tail?: boolean }): OriginalStream;
  createWriteStream(): OriginalStream;
  emit(event: string, ...args: unknown[]): boolean;
  dispose(): void;
}
const require = createRequire(import.meta.url);
const OriginalModel = require('scuttlebutt/model') as new (id?: string) => OriginalModel;
const OriginalEvents = require('scuttlebutt/events') as new (id?: string) => OriginalModel;

/** The original's persistence: `createReadStream()` piped to a file (tailing until dispose). */
async function originalWrite(model: OriginalModel, file: string, more: () => void): Promise<void> {
  const out = createWriteStream(file);
  model.createReadStream().pipe(out);
  more();
  await new Promise((resolve) => setImmediate(resolve));
  model.dispose(); // ends the read stream, which ends the file
  await once(out, 'finish');
}

/** The original's loading: the file piped into `createWriteStream()`. */
async function originalRead(model: OriginalModel, file: string): Promise<void> {
  const input = createReadStream(file);
  input.pipe(model.createWriteStream() as unknown as NodeJS.WritableStream);
  await once(input, 'end');
  await new Promise((resolve) => setImmediate(resolve));
}

async function open(t: { after: (fn: () => unknown) => void }, model: Model | Events, file: string): Promise<PersistentStore> {
  const store = persist(model, file);
  t.after(() => store.close().catch(() => {}));
  await store.ready;
  return store;
}

describe('persist() and the original scuttlebutt@5.6.15', () => {
  it('loads the bytes of the original persistence stream (behaviour spec §1.6) exactly as the original does', async (t) => {
    const file = join(tempDir(t), 'cap_d.sb');
    const bytes =
      '{"id":"A","clock":{"A":1700000000002}}\n[["k2",{"deep":[1,"x"]}],1700000000001,"A"]\n' +
      '[["k1",null],1700000000002,"A"]\n"SYNC"\n[["k3",3],1700000000003,"A"]\n';
    writeFileSync(file, bytes);
    const ours = new Model('B');
    const store = await open(t, ours, file);
    assert.deepEqual(ours.toJSON(), { k2: { deep: [1, 'x'] }, k3: 3 });
    assert.deepEqual(ours.keys(), ['k2', 'k1', 'k3']);
    assert.equal(store.stats.appended, 0);
    const theirs = new OriginalModel('C');
    await originalRead(theirs, file);
    assert.deepEqual(theirs.toJSON(), ours.toJSON());
  });

  it('a Model file written by the original (history, "SYNC", live tail) loads here, and keeps growing here', async (t) => {
    const file = join(tempDir(t), 'model.sb');
    const original = new OriginalModel('O');
    original.set('a', 1);
    original.set('b', { nested: ['ü', null] });
    original.set('a', 2);
    await originalWrite(original, file, () => {
      original.set('live', true);
      original.set('b', null);
    });
    assert.match(readFileSync(file, 'utf8'), /"SYNC"\n\[\["live",true\]/);
    const ours = new Model('N');
    const store = await open(t, ours, file);
    assert.deepEqual(ours.toJSON(), original.toJSON());
    assert.equal(ours.get('b'), null);
    ours.set('mine', 'x');
    await store.close();
    const reread = new OriginalModel('R');
    await originalRead(reread, file);
    assert.deepEqual(reread.toJSON(), { a: 2, live: true, mine: 'x' });
  });

  it('a file written here (snapshot, appends, compaction, more appends) loads in the original', async (t) => {
    const file = join(tempDir(t), 'ours.sb');
    const ours = new Model('N');
    const store = await open(t, ours, file);
    for (let i = 0; i < 30; i++) ours.set(`k${i % 7}`, { i, text: `v${i}` });
    ours.set('gone', 1);
    ours.set('gone', null);
    await store.flush();
    await store.compact();
    ours.set('after compaction', [1, 2, 3]);
    ours.receiveUpdate([['remote', 'r'], Date.now() - 1, 'X']);
    await store.close();
    const theirs = new OriginalModel('T');
    await originalRead(theirs, file);
    assert.deepEqual(theirs.toJSON(), ours.toJSON());
    assert.equal(theirs.get('gone'), null);
  });

  it('Events: a file written by the original replays every event here, and the other way round', async (t) => {
    const dir = tempDir(t);
    const original = new OriginalEvents('O');
    original.emit('msg', 'hello', 1, { x: [1, 2] });
    original.emit('msg', 'hello');
    const theirsFile = join(dir, 'theirs.sb');
    await originalWrite(original, theirsFile, () => {
      original.emit('other');
    });
    const seen: unknown[][] = [];
    const ours = new Events('N');
    ours.on('msg', (...args: unknown[]) => seen.push(['msg', ...args]));
    ours.on('other', (...args: unknown[]) => seen.push(['other', ...args]));
    const store = await open(t, ours, theirsFile);
    assert.deepEqual(seen, [['msg', 'hello', 1, { x: [1, 2] }], ['msg', 'hello'], ['other']]);
    ours.emit('msg', 'from ts');
    await store.close();
    const replayed: unknown[][] = [];
    const reread = new OriginalEvents('R');
    reread.on('msg', (...args: unknown[]) => replayed.push(args));
    await originalRead(reread, theirsFile);
    assert.deepEqual(replayed, [['hello', 1, { x: [1, 2] }], ['hello'], ['from ts']]);
  });
});
