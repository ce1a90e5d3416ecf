import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Events, Model, type Update, Value } from '../../src/index.ts';
import { type CompactionReport, type PersistentStore, persist, type StoreError, tempPathOf } from '../../src/persist/index.ts';
import { createFaultyFs, tempDir } from '../helpers/persist-fs.ts';
import { connect } from '../helpers/streams.ts';

const lines = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);

/** Opens a store and registers its closing for teardown. */
async function open(
  t: { after: (fn: () => unknown) => void },
  model: Model | Events | Value,
  file: string,
  options: Parameters<typeof persist>[2] = {},
): Promise<PersistentStore> {
  const store = persist(model, file, options);
  t.after(() => store.close().catch(() => {}));
  await store.ready;
  return store;
}

describe('persist()', () => {
  describe('file format', () => {
    it('creates the file with a header {"id","clock"} and "SYNC", then appends one wire line per update', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const store = await open(t, m, file);
      assert.deepEqual(lines(file), ['{"id":"A","clock":{}}', '"SYNC"']);
      m.set('k', { deep: [1, 'x'] });
      m.set('n', null);
      await store.flush();
      const [h, sync, u1, u2] = lines(file);
      assert.equal(h, '{"id":"A","clock":{}}');
      assert.equal(sync, '"SYNC"');
      assert.deepEqual(JSON.parse(u1 as string).slice(0, 1), [['k', { deep: [1, 'x'] }]]);
      assert.deepEqual(JSON.parse(u2 as string)[0], ['n', null]);
      assert.equal(JSON.parse(u2 as string)[2], 'A');
    });

    it('appends remote updates too, exactly as received (signature and extra elements kept)', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const store = await open(t, m, file);
      const remote: Update = [['r', 1], Date.now() - 5, 'X', 'sig', 'extra'];
      assert.equal(m.receiveUpdate(remote), true);
      await store.flush();
      assert.deepEqual(JSON.parse(lines(file).at(-1) as string), remote);
    });

    it('does not append again what it loaded', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const a = new Model('A');
      const s1 = await open(t, a, file);
      for (let i = 0; i < 50; i++) a.set(`k${i}`, i);
      await s1.close();
      const before = readFileSync(file);
      const b = new Model('B');
      const s2 = await open(t, b, file);
      await s2.flush();
      assert.equal(s2.stats.appended, 0);
      assert.equal(s2.stats.load?.restored, 50);
      assert.deepEqual(readFileSync(file), before);
      assert.equal(b.get('k49'), 49);
    });
  });

  describe('load', () => {
    it('keeps the clock: a model reloaded under the same id issues later timestamps', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const a = new Model('A');
      const s1 = await open(t, a, file);
      const future = Date.now() + 30_000;
      a.receiveUpdate([['late', 1], future, 'X']);
      await s1.close();
      const again = new Model('A');
      await open(t, again, file);
      again.set('next', 1);
      const ts = again.history().find((u) => u[0][0] === 'next')?.[1] as number;
      assert.ok(ts > future, `${ts} > ${future}`);
    });

    it('loads updates dated further ahead than maxClockSkewMs (the wall clock stepped back since)', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const ahead = Date.now() + 3_600_000;
      writeFileSync(file, `{"id":"X","clock":{}}\n[["k","v"],${ahead},"X"]\n`);
      const m = new Model('B');
      await open(t, m, file);
      assert.equal(m.get('k'), 'v');
    });

    it('does not verify stored updates again (they were verified when first accepted)', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, `{"id":"X","clock":{}}\n[["k","v"],${Date.now() - 10},"X","sig"]\n`);
      let verifications = 0;
      const verify = (_u: Update, cb: (err: unknown, ok?: boolean) => void): void => {
        verifications++;
        cb(null, false);
      };
      const m = new Model({ id: 'B', verify, sign: () => 'mine' });
      await open(t, m, file);
      assert.equal(m.get('k'), 'v');
      assert.equal(verifications, 0);
    });

    it('reports what it found in stats.load', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const ts = Date.now() - 100;
      writeFileSync(file, `{"id":"X","clock":{}}\n[["a",1],${ts},"X"]\n[["a",1],${ts},"X"]\n"SYNC"\n[["b",2],${ts + 1},"X"]\n`);
      const store = await open(t, new Model(), file);
      assert.equal(store.stats.load?.restored, 2);
      assert.equal(store.stats.load?.duplicates, 1);
      assert.equal(store.stats.load?.header?.id, 'X');
    });
  });

  describe('model state outside the store', () => {
    it('writes what the model held before persist() into a new file', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      m.set('before', 1);
      const store = await open(t, m, file);
      m.set('after', 2);
      await store.close();
      const again = new Model('B');
      await open(t, again, file);
      assert.deepEqual(again.toJSON(), { before: 1, after: 2 });
    });

    it('merges a model that holds other sources with the stored ones, then rewrites the log', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const a = new Model('A');
      const s1 = await open(t, a, file);
      a.set('fromFile', 1);
      await s1.close();
      const b = new Model('B');
      b.set('fromMemory', 2);
      const compactions: CompactionReport[] = [];
      const s2 = persist(b, file);
      t.after(() => s2.close());
      s2.on('compacted', (r: CompactionReport) => compactions.push(r));
      await s2.ready;
      assert.deepEqual(b.toJSON(), { fromFile: 1, fromMemory: 2 });
      assert.deepEqual(
        compactions.map((r) => r.reason),
        ['open'],
      );
      await s2.close();
      const c = new Model('C');
      await open(t, c, file);
      assert.deepEqual(c.toJSON(), { fromFile: 1, fromMemory: 2 });
    });

    it('keeps updates applied while the load runs (other sources), in a consistent log', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const a = new Model('A');
      const s1 = await open(t, a, file);
      for (let i = 0; i < 100; i++) a.set(`a${i}`, i);
      await s1.close();
      const b = new Model('B');
      const s2 = persist(b, file);
      t.after(() => s2.close());
      b.set('early', true); // before ready: not lost, not out of order
      await s2.ready;
      b.set('late', true);
      await s2.close();
      const c = new Model('C');
      await open(t, c, file);
      assert.equal(c.get('early'), true);
      assert.equal(c.get('late'), true);
      assert.equal(c.get('a99'), 99);
    });

    it('refuses a load that would drop stored updates (ERR_SB_STORE_CONFLICT) and leaves the file as it was', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const a = new Model('A');
      const s1 = await open(t, a, file);
      a.set('stored', 1);
      await s1.close();
      const before = readFileSync(file);
      const again = new Model('A');
      again.set('newer', 2); // same source, newer timestamp: the stored update would be old data
      const s2 = persist(again, file);
      await assert.rejects(s2.ready, (err: StoreError) => err.code === 'ERR_SB_STORE_CONFLICT' && err.path === file);
      await assert.rejects(s2.flush(), { code: 'ERR_SB_STORE_CONFLICT' });
      await s2.close();
      assert.deepEqual(readFileSync(file), before);
      assert.equal(existsSync(`${file}.lock`), false);
    });
  });

  describe('flush() and durability modes', () => {
    // The log's handle was opened on the temporary file that the first snapshot renamed.
    const syncsOf = (calls: [string, string, number?][], file: string): number =>
      calls.filter(([op, path]) => (op === 'datasync' || op === 'sync') && (path === file || path === tempPathOf(file))).length;

    it("'fsync': every append is fdatasync'd with its write; a burst shares one write and one fsync", async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const { fs, faults } = createFaultyFs();
      const m = new Model('A');
      const store = await open(t, m, file, { fs, durability: 'fsync' });
      const base = syncsOf(faults.calls, file);
      for (let i = 0; i < 100; i++) m.set(`k${i}`, i);
      await store.flush();
      assert.equal(store.stats.writes, 1);
      assert.equal(syncsOf(faults.calls, file) - base, 1);
      m.set('one', 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(syncsOf(faults.calls, file) - base, 2, 'synced without a flush() call');
    });

    it("'batch': writes at once, fsyncs on the timer", async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const { fs, faults } = createFaultyFs();
      const m = new Model('A');
      await open(t, m, file, { fs, durability: 'batch', batchIntervalMs: 30 });
      const base = syncsOf(faults.calls, file);
      m.set('k', 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(lines(file).length, 3, 'written before the fsync');
      assert.equal(syncsOf(faults.calls, file), base);
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(syncsOf(faults.calls, file) - base, 1);
    });

    it("'none': writes at once, fsyncs only on flush()", async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const { fs, faults } = createFaultyFs();
      const m = new Model('A');
      const store = await open(t, m, file, { fs, durability: 'none' });
      const base = syncsOf(faults.calls, file);
      m.set('k', 1);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(lines(file).length, 3);
      assert.equal(syncsOf(faults.calls, file), base);
      await store.flush();
      assert.equal(syncsOf(faults.calls, file) - base, 1);
      await store.flush();
      assert.equal(syncsOf(faults.calls, file) - base, 1, 'nothing new: no second fsync');
    });

    it('the first flush() after a load fsyncs what was loaded (a killed writer may have left it in the page cache)', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, `{"id":"X","clock":{}}\n[["k","v"],${Date.now() - 10},"X"]\n`);
      const { fs, faults } = createFaultyFs();
      const store = await open(t, new Model('A'), file, { fs, durability: 'none' });
      assert.equal(syncsOf(faults.calls, file), 0, 'no fsync on the way to ready');
      await store.flush();
      assert.equal(syncsOf(faults.calls, file), 1);
      await store.flush();
      assert.equal(syncsOf(faults.calls, file), 1);
    });

    it('resolves at once when nothing is pending, and covers updates applied before the call only', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const store = await open(t, m, file, { durability: 'none' });
      await store.flush();
      m.set('a', 1);
      const flushed = store.flush();
      m.set('b', 2);
      await flushed;
      const text = readFileSync(file, 'utf8');
      assert.match(text, /\["a",1\]/);
    });

    it('validates its options eagerly', () => {
      const m = new Model();
      assert.throws(() => persist(m, 'x.sb', { durability: 'always' as never }), RangeError);
      assert.throws(() => persist(m, 'x.sb', { compactFactor: 1 }), RangeError);
      assert.throws(() => persist(m, 'x.sb', { batchIntervalMs: -1 }), RangeError);
      assert.throws(() => persist(m, 'x.sb', { maxMessageBytes: 0 }), RangeError);
      assert.throws(() => persist(m, ''), RangeError);
      assert.throws(() => persist(m, 5 as never), TypeError);
      assert.throws(() => persist({} as never, 'x.sb'), TypeError);
    });
  });

  describe('compact()', () => {
    it('rewrites the log as header, history() and "SYNC"; the file keeps its permissions', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const store = await open(t, m, file);
      for (let i = 0; i < 100; i++) m.set(`k${i % 5}`, i);
      await store.flush();
      const { chmodSync } = await import('node:fs');
      chmodSync(file, 0o600);
      await store.compact();
      const all = lines(file);
      assert.equal(all.length, 5 + 2);
      assert.deepEqual(JSON.parse(all[0] as string).id, 'A');
      assert.equal(all.at(-1), '"SYNC"');
      assert.deepEqual(
        all.slice(1, -1).map((l) => JSON.parse(l)),
        m.history(),
      );
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(existsSync(tempPathOf(file)), false);
      m.set('after', 1);
      await store.flush();
      assert.equal(lines(file).length, 8);
    });

    it('runs automatically when the log outgrows the live state by compactFactor', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const store = await open(t, m, file, { compactFactor: 3, compactMinBytes: 2048 });
      const reports: CompactionReport[] = [];
      store.on('compacted', (r: CompactionReport) => reports.push(r));
      for (let i = 0; i < 3000; i++) {
        m.set(`k${i % 10}`, i);
        if (i % 50 === 0) await store.flush();
      }
      await store.flush();
      assert.ok(reports.length > 0);
      assert.ok(reports.every((r) => r.reason === 'auto' && r.bytesAfter < r.bytesBefore));
      // factor × max(live, compactMinBytes), plus at most one append (50 lines) past the threshold.
      assert.ok(statSync(file).size <= 3 * 2048 + 50 * 40, `log bounded: ${statSync(file).size}`);
      await store.close();
      const again = new Model('B');
      await open(t, again, file);
      assert.deepEqual(again.toJSON(), m.toJSON());
    });

    it('keeps what history() keeps: a bounded Events log stays bounded on disk', async (t) => {
      const file = join(tempDir(t), 'e.sb');
      const e = new Events({ id: 'E', maxEvents: 20 });
      const store = await open(t, e, file, { compactMinBytes: 1024 });
      for (let i = 0; i < 2000; i++) {
        e.emit('tick', i);
        if (i % 100 === 0) await store.flush();
      }
      await store.compact();
      assert.equal(lines(file).length, 20 + 2);
      await store.close();
      const seen: number[] = [];
      const again = new Events({ id: 'F', maxEvents: 20 });
      again.on('tick', (i: number) => seen.push(i));
      await open(t, again, file);
      assert.deepEqual(
        seen,
        Array.from({ length: 20 }, (_, i) => 1980 + i),
      );
    });

    it('removes a temporary file left by a compaction that crashed before its rename', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const s1 = await open(t, m, file);
      m.set('k', 1);
      await s1.close();
      writeFileSync(tempPathOf(file), '{"id":"A","clock":{}}\n[["half"');
      const again = new Model('B');
      await open(t, again, file);
      assert.equal(again.get('k'), 1);
      assert.equal(existsSync(tempPathOf(file)), false);
    });
  });

  describe('close()', () => {
    it('flushes, releases the lock, and refuses later calls with ERR_SB_STORE_CLOSED', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const store = await open(t, m, file, { durability: 'none' });
      assert.equal(existsSync(`${file}.lock`), true);
      m.set('k', 1);
      await store.close();
      assert.equal(existsSync(`${file}.lock`), false);
      assert.match(readFileSync(file, 'utf8'), /\["k",1\]/);
      await assert.rejects(store.flush(), { code: 'ERR_SB_STORE_CLOSED' });
      await assert.rejects(store.compact(), { code: 'ERR_SB_STORE_CLOSED' });
      await store.close(); // idempotent
      m.set('after', 1);
      assert.doesNotMatch(readFileSync(file, 'utf8'), /after/);
    });

    it('is called when the model is disposed', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const m = new Model('A');
      const store = await open(t, m, file, { durability: 'none' });
      m.set('k', 1);
      m.dispose();
      await store.close();
      assert.equal(store.closed, true);
      assert.match(readFileSync(file, 'utf8'), /\["k",1\]/);
    });
  });

  describe('lock', () => {
    it('refuses a second store on the same file (ERR_SB_STORE_LOCKED), in this process or another', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      await open(t, new Model('A'), file);
      const second = persist(new Model('B'), file);
      await assert.rejects(second.ready, (err: StoreError) => err.code === 'ERR_SB_STORE_LOCKED' && err.path === file);
      writeFileSync(`${file}2.lock`, `1 ${(await import('node:os')).hostname()}\n`); // pid 1 is alive
      const third = persist(new Model('C'), `${file}2`);
      await assert.rejects(third.ready, { code: 'ERR_SB_STORE_LOCKED' });
    });

    it('takes over a lock left by a process that died', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const { spawnSync } = await import('node:child_process');
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      writeFileSync(`${file}.lock`, `${dead} ${(await import('node:os')).hostname()}\n`);
      const m = new Model('A');
      await open(t, m, file);
      assert.match(readFileSync(`${file}.lock`, 'utf8'), new RegExp(`^${process.pid} `));
    });
  });

  describe('the two sides of scuttlebutt-ts/persist', () => {
    it('the browser side exports the names of the Node side; its persist() says what to use instead', async () => {
      const node = await import('../../src/persist/index.ts');
      const browser = await import('../../src/persist/browser.ts');
      for (const name of Object.keys(browser)) assert.ok(name in node, `${name} is exported by both`);
      assert.throws(
        () => browser.persist(new Model(), 'x.sb'),
        (err: Error & { code?: string }) => err.code === 'ERR_SB_INVALID_ARGUMENT' && /persistIndexedDB/.test(err.message),
      );
    });
  });

  describe('round trip, then replication', () => {
    it('Model: persist, reload, replicate with a peer, persist what the peer sent', async (t) => {
      const dir = tempDir(t);
      const a = new Model('A');
      const s1 = await open(t, a, join(dir, 'a.sb'));
      a.set('x', 1);
      a.set('y', { nested: ['ü', 2] });
      a.set('x', null);
      await s1.close();
      const a2 = new Model('A');
      const s2 = await open(t, a2, join(dir, 'a.sb'));
      assert.deepEqual(a2.toJSON(), { y: { nested: ['ü', 2] } });
      assert.equal(a2.get('x'), null);
      const peer = new Model('P');
      peer.set('fromPeer', true);
      await connect(a2, peer);
      assert.deepEqual(peer.toJSON(), { y: { nested: ['ü', 2] }, fromPeer: true });
      a2.set('z', 3);
      await s2.flush();
      await s2.close();
      const a3 = new Model('A');
      await open(t, a3, join(dir, 'a.sb'));
      assert.deepEqual(a3.toJSON(), { y: { nested: ['ü', 2] }, fromPeer: true, z: 3 });
    });

    it('Events: every event fires once on reload; a peer gets them all; new events are stored', async (t) => {
      const dir = tempDir(t);
      const e = new Events('E');
      const s1 = await open(t, e, join(dir, 'e.sb'));
      e.emit('msg', 'hello', 1, { x: [1, 2] });
      e.emit('msg', 'hello');
      await s1.close();
      const seen: unknown[][] = [];
      const e2 = new Events('E');
      e2.on('msg', (...args: unknown[]) => seen.push(args));
      const s2 = await open(t, e2, join(dir, 'e.sb'));
      assert.deepEqual(seen, [['hello', 1, { x: [1, 2] }], ['hello']]);
      const peer = new Events('P');
      const got: unknown[][] = [];
      peer.on('msg', (...args: unknown[]) => got.push(args));
      await connect(e2, peer);
      assert.equal(got.length, 2);
      peer.emit('msg', 'from peer');
      await new Promise((resolve) => setImmediate(resolve));
      await s2.flush();
      await s2.close();
      const e3 = new Events('E');
      const all: unknown[][] = [];
      e3.on('msg', (...args: unknown[]) => all.push(args));
      await open(t, e3, join(dir, 'e.sb'));
      assert.deepEqual(all, [['hello', 1, { x: [1, 2] }], ['hello'], ['from peer']]);
    });

    it('Value: the last value survives a reload and replicates', async (t) => {
      const dir = tempDir(t);
      const v = new Value('V');
      const s1 = await open(t, v, join(dir, 'v.sb'));
      v.set('first');
      v.set({ second: true });
      await s1.close();
      const v2 = new Value('V');
      await open(t, v2, join(dir, 'v.sb'));
      assert.deepEqual(v2.get(), { second: true });
      const peer = new Value('P');
      await connect(v2, peer);
      assert.deepEqual(peer.get(), { second: true });
    });
  });
});
