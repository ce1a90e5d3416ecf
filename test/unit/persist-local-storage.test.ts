import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Events, Model } from '../../src/index.ts';
import type { CorruptLine, PersistentStore, StoreError } from '../../src/persist/index.ts';
import { persistLocalStorage } from '../../src/persist/local-storage.ts';

/**
 * The Web Storage interface over a Map, with a quota in characters like browsers enforce
 * (`QuotaExceededError`). The browser suite runs the same store against real localStorage.
 */
class MemoryStorage implements Storage {
  readonly items = new Map<string, string>();
  quota = Number.POSITIVE_INFINITY;
  get length(): number {
    return this.items.size;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    let used = 0;
    for (const [k, v] of this.items) if (k !== key) used += k.length + v.length;
    if (used + key.length + value.length > this.quota) throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  clear(): void {
    this.items.clear();
  }
  [name: string]: unknown;
}

function open(
  t: { after: (fn: () => unknown) => void },
  model: Model | Events,
  storage: Storage,
  options: Parameters<typeof persistLocalStorage>[2] = {},
): PersistentStore {
  const store = persistLocalStorage(model, 'doc', { storage, ...options });
  t.after(() => store.close().catch(() => {}));
  return store;
}

describe('persistLocalStorage()', () => {
  it('keeps a model across reloads: a commit record and records of wire lines', async (t) => {
    const storage = new MemoryStorage();
    const m = new Model('A');
    const store = open(t, m, storage);
    await store.ready;
    m.set('a', 1);
    m.set('b', { x: [1] });
    await store.flush();
    assert.deepEqual(JSON.parse(storage.getItem('doc') as string), { format: 'scuttlebutt-ts/log', gen: 1, n: 2 });
    assert.equal(storage.getItem('doc/1/0'), '{"id":"A","clock":{}}\n"SYNC"\n');
    assert.match(storage.getItem('doc/1/1') as string, /^\[\["a",1\],[\d.]+,"A"\]\n\[\["b",\{"x":\[1\]\}\]/);
    await store.close();
    const again = new Model('B');
    const reopened = open(t, again, storage);
    await reopened.ready;
    assert.deepEqual(again.toJSON(), { a: 1, b: { x: [1] } });
    assert.equal(reopened.stats.appended, 0);
  });

  it('refuses a key that holds something else (ERR_SB_STORE_FOREIGN) and leaves it alone', async (t) => {
    const storage = new MemoryStorage();
    storage.setItem('doc', '{"theme":"dark"}');
    const store = open(t, new Model(), storage);
    await assert.rejects(store.ready, (err: StoreError) => err.code === 'ERR_SB_STORE_FOREIGN' && err.path === 'doc');
    assert.equal(storage.getItem('doc'), '{"theme":"dark"}');
    assert.equal(storage.length, 1);
  });

  it('drops records the commit record does not count (a tab closed between two writes)', async (t) => {
    const storage = new MemoryStorage();
    const m = new Model('A');
    const store = open(t, m, storage);
    await store.ready;
    m.set('a', 1);
    await store.close();
    storage.setItem('doc/1/2', '[["uncommitted",1],1,"A"]\n'); // an append whose commit never happened
    storage.setItem('doc/2/0', '{"id":"A","clock":{}}\n'); // a compaction whose commit never happened
    const again = new Model('B');
    const reopened = open(t, again, storage);
    await reopened.ready;
    assert.deepEqual(again.toJSON(), { a: 1 });
    assert.equal(storage.getItem('doc/1/2'), null);
    assert.equal(storage.getItem('doc/2/0'), null);
  });

  it('compacts into a new generation, then removes the old one', async (t) => {
    const storage = new MemoryStorage();
    const m = new Model('A');
    const store = open(t, m, storage);
    await store.ready;
    for (let i = 0; i < 20; i++) {
      m.set('k', i);
      await store.flush();
    }
    await store.compact();
    assert.deepEqual(JSON.parse(storage.getItem('doc') as string), { format: 'scuttlebutt-ts/log', gen: 2, n: 1 });
    assert.deepEqual([...storage.items.keys()].sort(), ['doc', 'doc/2/0']);
    await store.close();
    const again = new Model('B');
    await open(t, again, storage).ready;
    assert.equal(again.get('k'), 19);
  });

  it('reports a bad record line with its line index, quarantines it under name.corrupt, loads the rest', async (t) => {
    const storage = new MemoryStorage();
    storage.setItem('doc', JSON.stringify({ format: 'scuttlebutt-ts/log', gen: 1, n: 2 }));
    storage.setItem('doc/1/0', `{"id":"A","clock":{}}\n[["a",1],${Date.now() - 5},"A"]\n`);
    storage.setItem('doc/1/1', `garbage\n[["b",2],${Date.now() - 4},"A"]\n`);
    const m = new Model('B');
    const store = open(t, m, storage);
    const corrupt: CorruptLine[] = [];
    store.on('corrupt', (line: CorruptLine) => corrupt.push(line));
    await store.ready;
    assert.deepEqual(m.toJSON(), { a: 1, b: 2 });
    assert.deepEqual(
      corrupt.map((c) => [c.path, c.offset, c.kind]),
      [['doc', 2, 'bad-line']],
    );
    assert.equal(JSON.parse((storage.getItem('doc.corrupt') as string).trim()).text, 'garbage');
  });

  it('a full quota: ERR_SB_STORE_IO (QuotaExceededError), the stored log intact, recovery once there is room', async (t) => {
    const storage = new MemoryStorage();
    const e = new Events('E');
    const store = open(t, e, storage);
    await store.ready;
    e.emit('x', 'first');
    await store.flush();
    const committed = storage.getItem('doc');
    storage.quota = 400;
    e.emit('x', 'y'.repeat(500));
    await assert.rejects(store.flush(), (err: StoreError) => err.code === 'ERR_SB_STORE_IO' && err.syscallCode === 'QuotaExceededError');
    assert.equal(storage.getItem('doc'), committed);
    storage.quota = Number.POSITIVE_INFINITY;
    await store.flush();
    await store.close();
    const seen: unknown[] = [];
    const again = new Events('F');
    again.on('x', (v: unknown) => seen.push(v));
    await open(t, again, storage).ready;
    assert.deepEqual(seen, ['first', 'y'.repeat(500)]);
  });
});
