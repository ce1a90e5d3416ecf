import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isScuttlebuttError, Model } from '../../src/index.ts';
import { type CorruptLine, type PersistentStore, persist, quarantinePathOf, StoreError, tempPathOf } from '../../src/persist/index.ts';
import { createFaultyFs, tempDir } from '../helpers/persist-fs.ts';

const T0 = Date.now() - 60_000;
const header = (id = 'A'): string => `{"id":"${id}","clock":{}}\n`;
const update = (key: string, value: unknown, ts: number, source = 'A'): string => `${JSON.stringify([[key, value], ts, source])}\n`;

/** A log with `n` updates k0…k(n-1), as bytes. */
function logOf(n: number): string {
  let text = header();
  for (let i = 0; i < n; i++) text += update(`k${i}`, i, T0 + i);
  return text;
}

/** Opens a store, collecting its 'corrupt' events, registered for teardown. */
function open(
  t: { after: (fn: () => unknown) => void },
  model: Model,
  file: string,
  options: Parameters<typeof persist>[2] = {},
): { store: PersistentStore; corrupt: CorruptLine[] } {
  const store = persist(model, file, options);
  const corrupt: CorruptLine[] = [];
  store.on('corrupt', (line: CorruptLine) => corrupt.push(line));
  t.after(() => store.close().catch(() => {}));
  return { store, corrupt };
}

/** The files in a directory, to check that a failed load left nothing behind. */
const filesIn = (dir: string): string[] => readdirSync(dir).sort();

/** Asserts a typed store error naming the file. */
function isStoreError(code: string, file: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.ok(isScuttlebuttError(err));
    assert.equal(err.code, code);
    assert.equal(err.path, file);
    assert.ok(err.message.includes(file), `the message names the file: ${err.message}`);
    return true;
  };
}

describe('persist() recovery', () => {
  describe('a torn last line (power cut mid-write)', () => {
    it('is reported with its byte offset, quarantined, and cut off before the next append', async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'a.sb');
      const good = logOf(3);
      writeFileSync(file, `${good}[["k3",3],${T0 + 3},"A`);
      const m = new Model('B');
      const { store, corrupt } = open(t, m, file);
      await store.ready;
      assert.deepEqual(m.toJSON(), { k0: 0, k1: 1, k2: 2 });
      assert.equal(corrupt.length, 1);
      assert.equal(corrupt[0]?.kind, 'torn-tail');
      assert.equal(corrupt[0]?.offset, Buffer.byteLength(good));
      assert.equal(corrupt[0]?.path, file);
      assert.equal(corrupt[0]?.error.code, 'ERR_SB_STORE_CORRUPT');
      m.set('next', 1);
      await store.flush();
      const text = readFileSync(file, 'utf8');
      assert.ok(text.startsWith(good), 'everything before the torn line is intact');
      assert.equal(text.slice(good.length).split('\n')[0]?.startsWith('[["next",1]'), true, 'the next line is not glued to the torn one');
      const quarantined = JSON.parse(readFileSync(quarantinePathOf(file), 'utf8').trim());
      assert.equal(Buffer.from(quarantined.base64, 'base64').toString(), `[["k3",3],${T0 + 3},"A`);
      assert.equal(quarantined.offset, Buffer.byteLength(good));
    });

    it('keeps a complete last line that only lost its newline, and ends it', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, logOf(2) + update('k2', 2, T0 + 2).trimEnd());
      const m = new Model('B');
      const { store, corrupt } = open(t, m, file);
      await store.ready;
      assert.equal(m.get('k2'), 2);
      assert.equal(corrupt.length, 0);
      m.set('next', 1);
      await store.flush();
      assert.match(readFileSync(file, 'utf8'), /"A"\]\n\[\["next",1\]/);
    });

    it('a file cut inside its header is not a log (ERR_SB_STORE_FOREIGN), and is left as it was', async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'a.sb');
      writeFileSync(file, '{"id":"A","cl');
      const { store } = open(t, new Model(), file);
      await assert.rejects(store.ready, isStoreError('ERR_SB_STORE_FOREIGN', file));
      assert.equal(readFileSync(file, 'utf8'), '{"id":"A","cl');
      assert.deepEqual(filesIn(dir), ['a.sb']);
    });
  });

  describe('a corrupt line in the middle', () => {
    it("emits 'corrupt' with the path and the line's byte offset, loads the rest, and quarantines it", async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'a.sb');
      const before = logOf(2);
      const bad = '[["k9",9],17000000';
      writeFileSync(file, `${before}${bad}\n\u0000\u0001garbage\n${update('k2', 2, T0 + 2)}"SYNC"\n${update('k3', 3, T0 + 3)}`);
      const m = new Model('B');
      const { store, corrupt } = open(t, m, file);
      await store.ready;
      assert.deepEqual(m.toJSON(), { k0: 0, k1: 1, k2: 2, k3: 3 });
      assert.deepEqual(
        corrupt.map((c) => [c.kind, c.offset, c.path]),
        [
          ['bad-line', Buffer.byteLength(before), file],
          ['bad-line', Buffer.byteLength(before) + bad.length + 1, file],
        ],
      );
      assert.ok(corrupt[0]?.error.message.includes(file) && corrupt[0].error.message.includes(`offset ${Buffer.byteLength(before)}`));
      const records = readFileSync(quarantinePathOf(file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(Buffer.from(records[0].base64, 'base64').toString(), bad);
      await store.close();
      // The log was rewritten once the lines were safe in quarantine: no second report.
      const again = open(t, new Model('C'), file);
      await again.store.ready;
      assert.equal(again.corrupt.length, 0);
    });

    it('reports invalid UTF-8, updates of the wrong shape, and changes the model refuses', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const bytes = Buffer.concat([
        Buffer.from(header()),
        Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d, 0x0a]), // ["\xff\xfe"]
        Buffer.from(`[["k",1],"not a number","A"]\n`),
        Buffer.from(`[5,${T0},"A"]\n`), // a Model change must be [key, value]
        Buffer.from(`42\n`),
        Buffer.from(update('ok', true, T0)),
      ]);
      writeFileSync(file, bytes);
      const m = new Model('B');
      const { store, corrupt } = open(t, m, file);
      await store.ready;
      assert.deepEqual(m.toJSON(), { ok: true });
      assert.equal(corrupt.length, 4);
      assert.match(corrupt[0]?.error.message ?? '', /UTF-8/);
      assert.match(corrupt[1]?.error.message ?? '', /timestamp/);
      assert.match(corrupt[2]?.error.message ?? '', /refuses/);
    });
  });

  describe('a file that is not ours', () => {
    for (const [name, content] of [
      ['plain text', 'hello world\nsecond line\n'],
      ['an update first (no header)', update('k', 1, T0)],
      ['a JSON object without a clock', '{"name":"package"}\n'],
      ['binary garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))],
    ] as const) {
      it(`refuses ${name} with ERR_SB_STORE_FOREIGN, naming the file, and changes nothing`, async (t) => {
        const dir = tempDir(t);
        const file = join(dir, 'a.sb');
        writeFileSync(file, content);
        const before = readFileSync(file);
        const { store } = open(t, new Model(), file);
        await assert.rejects(store.ready, isStoreError('ERR_SB_STORE_FOREIGN', file));
        await assert.rejects(store.flush(), { code: 'ERR_SB_STORE_FOREIGN' });
        await store.close();
        assert.deepEqual(readFileSync(file), before);
        assert.deepEqual(filesIn(dir), ['a.sb'], 'no lock, temporary or quarantine file left');
      });
    }

    it('treats an empty file as a new store', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, '');
      const m = new Model('A');
      const { store } = open(t, m, file);
      await store.ready;
      assert.equal(readFileSync(file, 'utf8'), '{"id":"A","clock":{}}\n"SYNC"\n');
    });
  });

  describe('a line over maxMessageBytes', () => {
    it('refuses the load (ERR_SB_STORE_LINE_TOO_LARGE, with its offset) rather than dropping it; a higher limit loads it', async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'a.sb');
      const before = logOf(2);
      const big = update('big', 'x'.repeat(2000), T0 + 5);
      writeFileSync(file, before + big + update('after', 1, T0 + 6));
      const bytes = readFileSync(file);
      const { store } = open(t, new Model(), file, { maxMessageBytes: 1024 });
      await assert.rejects(store.ready, (err: StoreError) => {
        isStoreError('ERR_SB_STORE_LINE_TOO_LARGE', file)(err);
        assert.equal(err.offset, Buffer.byteLength(before));
        return true;
      });
      assert.deepEqual(readFileSync(file), bytes);
      assert.deepEqual(filesIn(dir), ['a.sb']);
      const m = new Model();
      const ok = open(t, m, file, { maxMessageBytes: 4096 });
      await ok.store.ready;
      assert.equal((m.get('big') as string).length, 2000);
    });

    it('is checked before buffering: an endless line without a newline is refused at the limit', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, header() + 'y'.repeat(3 * 1024 * 1024));
      const { store } = open(t, new Model(), file, { maxMessageBytes: 64 * 1024 });
      await assert.rejects(store.ready, { code: 'ERR_SB_STORE_LINE_TOO_LARGE' });
    });
  });

  describe('the path', () => {
    it('a directory where the file should be: ERR_SB_STORE_IO naming it, directory untouched', async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'a.sb');
      mkdirSync(file);
      writeFileSync(join(file, 'inside'), 'x');
      const { store } = open(t, new Model(), file);
      await assert.rejects(store.ready, isStoreError('ERR_SB_STORE_IO', file));
      assert.deepEqual(filesIn(file), ['inside']);
      assert.deepEqual(filesIn(dir), ['a.sb']);
    });

    it('a missing directory: ERR_SB_STORE_IO (ENOENT) naming the file', async (t) => {
      const file = join(tempDir(t), 'missing', 'a.sb');
      const { store } = open(t, new Model(), file, { lock: false });
      await assert.rejects(store.ready, (err: StoreError) => isStoreError('ERR_SB_STORE_IO', file)(err) && err.syscallCode === 'ENOENT');
    });

    it('no permission: ERR_SB_STORE_IO (EACCES) naming the file, nothing changed (as an unprivileged user)', async (t) => {
      const dir = tempDir(t);
      chmodSync(dir, 0o755);
      const file = join(dir, 'a.sb');
      writeFileSync(file, logOf(2));
      chmodSync(file, 0o444);
      const readOnlyDir = join(dir, 'ro');
      mkdirSync(readOnlyDir);
      chmodSync(readOnlyDir, 0o555);
      const script = fileURLToPath(new URL('../helpers/persist-open-child.ts', import.meta.url));
      const asRoot = process.getuid?.() === 0;
      if (process.platform === 'win32') {
        t.skip('file permissions cannot be simulated on Windows');
        return;
      }
      // Root ignores permission bits: run the store as "nobody" (uid 65534) to see them applied.
      const run = (target: string) =>
        spawnSync(process.execPath, ['--import', 'tsx', script, target], {
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
          encoding: 'utf8',
          timeout: 30_000,
          ...(asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: '/tmp' } } : {}),
        });
      const existing = run(file);
      if (existing.error || (existing.status !== 0 && !existing.stdout)) {
        t.skip(`cannot run a child process as an unprivileged user here: ${existing.error?.message ?? existing.stderr}`);
        return;
      }
      assert.deepEqual(JSON.parse(existing.stdout), { code: 'ERR_SB_STORE_IO', path: file, syscallCode: 'EACCES', named: true });
      const creating = run(join(readOnlyDir, 'new.sb'));
      const created = JSON.parse(creating.stdout);
      assert.equal(created.code, 'ERR_SB_STORE_IO');
      assert.equal(created.syscallCode, 'EACCES');
      assert.equal(readFileSync(file, 'utf8'), logOf(2));
      assert.deepEqual(filesIn(readOnlyDir), []);
    });
  });

  describe('a full disk (ENOSPC) and failing fsync (EIO)', () => {
    it('rejects flush() with ERR_SB_STORE_IO naming the file, keeps the log loadable, recovers when space is back', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const { fs, faults } = createFaultyFs();
      const m = new Model('A');
      const { store } = open(t, m, file, { fs });
      await store.ready;
      for (let i = 0; i < 20; i++) m.set(`k${i}`, i);
      await store.flush();
      const acknowledged = readFileSync(file);
      faults.freeBytes = 50; // fills up in the middle of the next line
      for (let i = 20; i < 40; i++) m.set(`k${i}`, i);
      await assert.rejects(store.flush(), (err: StoreError) => isStoreError('ERR_SB_STORE_IO', file)(err) && err.syscallCode === 'ENOSPC');
      assert.equal(store.error?.syscallCode, 'ENOSPC');
      // Still full: the recovery attempt fails too, and the old log is intact.
      await assert.rejects(store.flush(), { code: 'ERR_SB_STORE_IO' });
      assert.deepEqual(readFileSync(file).subarray(0, acknowledged.length), acknowledged);
      const meanwhile = new Model('X');
      const peek = persist(meanwhile, file, { lock: false });
      await peek.ready;
      assert.equal(meanwhile.get('k19'), 19, 'everything flushed before the failure loads');
      await peek.close();
      // Space is back: the next flush writes a snapshot and appends resume.
      faults.freeBytes = Number.POSITIVE_INFINITY;
      m.set('k40', 40);
      await store.flush();
      assert.equal(store.error, null);
      m.set('k41', 41);
      await store.close();
      const after = new Model('B');
      const reopened = open(t, after, file);
      await reopened.store.ready;
      assert.equal(Object.keys(after.toJSON()).length, 42);
    });

    it('a failed fsync stops appends (its pages may be lost) until a snapshot replaced the log', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const { fs, faults } = createFaultyFs();
      const m = new Model('A');
      const errors: StoreError[] = [];
      const { store } = open(t, m, file, { fs, durability: 'none' });
      store.on('error', (err: StoreError) => errors.push(err));
      await store.ready;
      m.set('a', 1);
      faults.failSync = true;
      await assert.rejects(store.flush(), (err: StoreError) => err.code === 'ERR_SB_STORE_IO' && err.syscallCode === 'EIO');
      assert.equal(errors.length, 1, "'error' emitted once, because someone listens");
      m.set('b', 2); // not queued while faulted: the recovery snapshot holds it
      faults.failSync = false;
      await store.flush();
      await store.close();
      const again = new Model('B');
      await open(t, again, file).store.ready;
      assert.deepEqual(again.toJSON(), { a: 1, b: 2 });
    });

    it('a failed compaction leaves the old log in place and appends continue', async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'a.sb');
      const { fs, faults } = createFaultyFs();
      const m = new Model('A');
      const { store } = open(t, m, file, { fs });
      await store.ready;
      for (let i = 0; i < 10; i++) m.set('k', i);
      await store.flush();
      const before = readFileSync(file);
      faults.failRename = true;
      await assert.rejects(store.compact(), isStoreError('ERR_SB_STORE_IO', file));
      assert.deepEqual(readFileSync(file), before);
      assert.equal(existsSync(tempPathOf(file)), false, 'the temporary file was removed');
      assert.equal(store.error, null, 'not faulted: the log is intact');
      m.set('after', true);
      await store.flush();
      faults.failRename = false;
      await store.close();
      const again = new Model('B');
      await open(t, again, file).store.ready;
      assert.deepEqual(again.toJSON(), { k: 9, after: true });
    });

    it('a failed directory fsync after the rename: the new log is in place, appends wait for a durable snapshot', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      const { fs, faults } = createFaultyFs();
      const m = new Model('A');
      const { store } = open(t, m, file, { fs });
      await store.ready;
      m.set('a', 1);
      faults.failDirSync = true;
      await assert.rejects(store.compact(), { code: 'ERR_SB_STORE_IO' });
      m.set('b', 2);
      await assert.rejects(store.flush(), { code: 'ERR_SB_STORE_IO' });
      faults.failDirSync = false;
      await store.flush();
      await store.close();
      const again = new Model('B');
      await open(t, again, file).store.ready;
      assert.deepEqual(again.toJSON(), { a: 1, b: 2 });
    });

    it('state the log lacks (updates applied during the load) is not lost when the snapshot after the load fails', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, logOf(3));
      const { fs, faults } = createFaultyFs();
      const m = new Model('B');
      const { store } = open(t, m, file, { fs });
      m.set('during', 1); // not in the log: the store must write a snapshot after the load
      faults.failRename = true;
      await assert.rejects(store.ready, isStoreError('ERR_SB_STORE_IO', file));
      await assert.rejects(store.flush(), { code: 'ERR_SB_STORE_IO' });
      faults.failRename = false;
      await store.flush(); // recovers: the snapshot holds 'during'
      await store.close();
      const again = new Model('C');
      await open(t, again, file).store.ready;
      assert.deepEqual(again.toJSON(), { k0: 0, k1: 1, k2: 2, during: 1 });
    });

    it('never crashes the process: no unhandled rejection, no unhandled error event', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, 'not ours\n');
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      t.after(() => process.off('unhandledRejection', onUnhandled));
      const store = persist(new Model(), file); // nobody awaits ready, nobody listens for 'error'
      void store.flush();
      void store.compact();
      const { fs, faults } = createFaultyFs();
      faults.freeBytes = 0;
      const full = persist(new Model(), join(tempDir(t), 'b.sb'), { fs });
      void full.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled, []);
      assert.equal(store.error?.code, 'ERR_SB_STORE_FOREIGN');
      assert.equal(full.error?.syscallCode, 'ENOSPC');
      await store.close();
      await full.close().catch(() => {});
    });
  });

  describe('compaction interrupted at each step', () => {
    for (const step of ['open the temporary file', 'write', 'fsync', 'rename', 'directory fsync'] as const) {
      it(`${step}: the store loads with every flushed update, and the next open cleans up`, async (t) => {
        const dir = tempDir(t);
        const file = join(dir, 'a.sb');
        const { fs, faults } = createFaultyFs();
        const m = new Model('A');
        const { store } = open(t, m, file, { fs });
        await store.ready;
        for (let i = 0; i < 200; i++) m.set(`k${i % 20}`, i);
        await store.flush();
        if (step === 'open the temporary file') faults.denyOpenSuffix = '.tmp';
        if (step === 'write') faults.freeBytes = 300;
        if (step === 'fsync') faults.failSync = true;
        if (step === 'rename') faults.failRename = true;
        if (step === 'directory fsync') faults.failDirSync = true;
        await assert.rejects(store.compact(), { code: 'ERR_SB_STORE_IO' });
        // The process "dies" here: read the file as a new process would (the lock is stale).
        const again = new Model('B');
        const { store: reopened } = open(t, again, file, { lock: false });
        await reopened.ready;
        assert.deepEqual(again.toJSON(), m.toJSON());
        assert.equal(existsSync(tempPathOf(file)), false);
      });
    }
  });

  describe('appended garbage after a valid log (another program wrote to it)', () => {
    it('loads the valid part and reports each bad line', async (t) => {
      const file = join(tempDir(t), 'a.sb');
      writeFileSync(file, logOf(5));
      appendFileSync(file, 'garbage 1\ngarbage 2\n');
      const m = new Model();
      const { store, corrupt } = open(t, m, file);
      await store.ready;
      assert.equal(Object.keys(m.toJSON()).length, 5);
      assert.equal(corrupt.length, 2);
    });
  });
});
