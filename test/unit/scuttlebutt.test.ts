import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { createID, createId, Events, Model, type Update } from '../../src/index.ts';
import { capture, connect, settle, until, withTimeout } from '../helpers/streams.ts';

describe('Scuttlebutt', () => {
  describe('constructor', () => {
    it('takes an id string or an options object, and makes a random id otherwise', () => {
      assert.equal(new Model('X').id, 'X');
      assert.equal(new Model({ id: 'Y' }).id, 'Y');
      assert.match(new Model().id, /^[0-9A-F]{32}$/);
      assert.notEqual(new Model().id, new Model().id);
    });

    it('uses createId of a security object passed whole', () => {
      const security = {
        sign: () => 'sig',
        verify: (_u: Update, cb: (e: unknown, ok: boolean) => void) => cb(null, true),
        createId: () => 'KEY-ID',
      };
      assert.equal(new Model(security).id, 'KEY-ID');
    });

    it('rejects bad options with TypeError/RangeError', () => {
      assert.throws(() => new Model({ id: '__proto__' }), RangeError);
      assert.throws(() => new Model({ id: 5 as unknown as string }), TypeError);
      assert.throws(() => new Model({ maxClockSkewMs: -1 }), RangeError);
      assert.throws(() => new Model().setId(null as unknown as string), TypeError);
    });

    it('exports createId under both spellings', () => {
      assert.equal(createID, createId);
    });
  });

  describe('clone()', () => {
    it('is another instance of the same class with the same id and history', () => {
      const a = new Model('A');
      a.set('x', 1);
      const b = a.clone();
      assert.equal(b.constructor, Model);
      assert.equal(b.id, 'A');
      assert.deepEqual(b.history(), a.history());
    });

    it('keeps the options the model was made with (tombstoneTtlMs, limits)', () => {
      const a = new Model({ id: 'A', tombstoneTtlMs: 5000, limits: { maxMessageBytes: 4096 } });
      const b = a.clone();
      assert.equal(b.tombstoneTtlMs, 5000);
      assert.equal(b.resetCapable, true);
      assert.equal(b.limits.maxMessageBytes, 4096);
    });

    it('updates apply to both, synchronously', () => {
      const a = new Model('A');
      const b = a.clone();
      b.set('y', 2);
      assert.equal(a.get('y'), 2);
      a.set('z', 3);
      assert.equal(b.get('z'), 3);
    });

    it('dispose of the clone emits unclone synchronously', () => {
      const a = new Model('A');
      const b = a.clone();
      const counts: number[] = [];
      a.on('unclone', (n) => counts.push(n));
      b.dispose();
      assert.deepEqual(counts, [0]);
      b.dispose();
      assert.deepEqual(counts, [0]);
    });
  });

  describe('dispose()', () => {
    it('ends a tailing read stream, which then closes', async () => {
      const m = new Events('E');
      m.emit('x', 1);
      const rs = m.createReadStream({ tail: true });
      const out = capture(rs);
      const ended = once(rs, 'end');
      await settle();
      m.dispose();
      await withTimeout(ended, 1000, 'end');
      assert.equal(out.lines().length, 3);
      assert.throws(() => m.emit('y', 2), { code: 'ERR_SB_DISPOSED' });
    });
  });

  describe('createStream() events', () => {
    it("emits header with the peer's id and meta, on each stream", async () => {
      const a = new Model('A');
      const b = new Model('B');
      const c = new Model('C');
      const as = a.createStream({ meta: { role: 'a' } });
      const bs = b.createStream();
      const bs2 = b.createStream();
      const cs = c.createStream();
      const headers = Promise.all([once(as, 'header'), once(bs, 'header'), once(bs2, 'header'), once(cs, 'header')]);
      as.pipe(bs).pipe(as);
      bs2.pipe(cs).pipe(bs2);
      const [[ha], [hb], [hb2], [hc]] = await withTimeout(headers, 1000, 'headers');
      assert.equal(ha.id, 'B');
      assert.equal(hb.id, 'A');
      assert.deepEqual(hb.meta, { role: 'a' });
      assert.equal(hb2.id, 'C');
      assert.equal(hc.id, 'B');
    });

    it('emits syncSent, syncReceived, syncRecieved, then sync and synced exactly once', async () => {
      const a = new Model('A');
      const b = new Model('B');
      a.set('k', 1);
      const as = a.createStream();
      const bs = b.createStream();
      const seen: string[] = [];
      for (const name of ['syncSent', 'syncReceived', 'syncRecieved', 'sync', 'synced']) as.on(name, () => seen.push(name));
      as.pipe(bs).pipe(as);
      await once(as, 'sync');
      await settle();
      b.set('later', 2);
      await until(() => a.get('later') === 2);
      assert.deepEqual([...seen].sort(), ['sync', 'syncReceived', 'syncRecieved', 'syncSent', 'synced']);
      assert.equal(b.get('k'), 1, 'history is there at sync time');
    });

    it('output is kept until the stream is piped, even a tick later', async () => {
      const a = new Model('A');
      const b = new Model('B');
      a.set('k', 1);
      const as = a.createStream();
      await settle();
      await new Promise((r) => setTimeout(r, 10));
      const bs = b.createStream();
      const synced = once(bs, 'sync');
      as.pipe(bs).pipe(as);
      await withTimeout(synced, 1000, 'sync');
      assert.equal(b.get('k'), 1);
    });
  });

  describe('integration', () => {
    it('relays through a middle node over raw (object) streams', async () => {
      const g1 = new Model('g1');
      const g2 = new Model('g2');
      const g3 = new Model('g3');
      await connect(g1, g2, { wrapper: 'raw' }, { wrapper: 'raw' });
      await connect(g2, g3, { wrapper: 'raw' }, { wrapper: 'raw' });
      await connect(g3, g1, { wrapper: 'raw' }, { wrapper: 'raw' });
      g1.set('x', 'from g1');
      await until(() => g2.get('x') === 'from g1' && g3.get('x') === 'from g1');
    });

    it('raw headers carry a copy of the clock, not the live object (bug R1)', async () => {
      const a = new Model('A');
      const as = a.createStream({ wrapper: 'raw' });
      const [header] = (await once(as, 'data')) as [{ clock: object }];
      assert.notEqual(header.clock, a.sources);
    });

    it('a json stream works when the peer is another json stream', async () => {
      const a = new Model('A');
      const b = new Model('B');
      await connect(a, b);
      a.set('hello', 'world');
      await until(() => b.get('hello') === 'world');
    });
  });

  describe('persistence through read and write streams', () => {
    it('a file written by createReadStream restores the model through createWriteStream', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sb-persist-'));
      try {
        const file = join(dir, 'model.jsonl');
        const a = new Model('A');
        a.set('k1', 1);
        a.set('k2', { deep: [1, 'x'] });
        a.set('k1', null);
        const done = pipeline(a.createReadStream(), createWriteStream(file));
        await settle();
        a.set('k3', 3);
        await settle();
        a.dispose();
        await done;
        const text = await readFile(file, 'utf8');
        assert.match(text, /^\{"id":"A","clock":\{"A":[0-9.]+\}\}\n/);
        assert.match(text, /"SYNC"\n\[\["k3",3\]/);
        const b = new Model('B');
        const updates: unknown[] = [];
        b.on('_update', (u) => updates.push(u));
        await pipeline(createReadStream(file, { highWaterMark: 7 }), b.createWriteStream());
        assert.deepEqual(b.toJSON(), { k2: { deep: [1, 'x'] }, k3: 3 });
        assert.equal(updates.length, 3);
        assert.deepEqual(b.history(), a.history());
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('createReadStream({ tail: false }) ends after SYNC', async () => {
      const a = new Model('A');
      a.set('x', 1);
      const rs = a.createReadStream({ tail: false });
      const out = capture(rs);
      await withTimeout(once(rs, 'end'), 1000, 'end');
      assert.equal(out.lines().at(-1), '"SYNC"');
    });
  });

  describe('read-only replication (sendClock)', () => {
    it("master's data reaches the slave; the slave's own writes do not reach the master", async () => {
      const master = new Model('M');
      const slave = new Model('S');
      master.set('a', 1);
      slave.set('s', 'slave-local');
      const ms = master.createStream({ writable: false, sendClock: true });
      const ss = slave.createStream({ readable: false, sendClock: true });
      const slaveOut = capture(ss);
      ms.pipe(ss).pipe(ms);
      await until(() => slave.get('a') === 1);
      slave.set('b', 20);
      await new Promise((r) => setTimeout(r, 5)); // a later write on the wall clock
      master.set('b', 2);
      await until(() => slave.get('b') === 2);
      await settle();
      assert.equal(master.get('s'), undefined);
      assert.equal(master.get('b'), 2);
      assert.deepEqual(
        slaveOut.lines().map((l) => JSON.parse(l).id),
        ['S'],
        'the slave sent its header and nothing else',
      );
    });

    it('a read-only chain master → b → c works', async () => {
      const a = new Model('A');
      const b = new Model('B');
      const c = new Model('C');
      const link = (x: Model, y: Model) => {
        const xs = x.createStream({ writable: false, sendClock: true });
        const ys = y.createStream({ readable: false, sendClock: true });
        xs.pipe(ys).pipe(xs);
      };
      link(a, b);
      link(b, c);
      a.set('x', 1);
      await until(() => c.get('x') === 1);
    });

    it('a master with clock:true waits for the peer clock and sends only what it lacks', async () => {
      const master = new Model('M');
      master.set('a', 1);
      const slave = new Model('S');
      await connect(master, slave);
      master.set('b', 2);
      const ms = master.createStream({ writable: false, clock: true });
      const ss = slave.createStream({ readable: false, sendClock: true });
      const out = capture(ms);
      ms.pipe(ss).pipe(ms);
      await until(() => slave.get('b') === 2);
      await settle();
      const updates = out.lines().filter((l) => l.startsWith('['));
      assert.equal(updates.length, 0, 'b already came over the first link; nothing is resent');
    });
  });

  describe('unstream', () => {
    it('reports the number of remaining streams as each closes', async () => {
      const a = new Model('A');
      const b = new Model('B');
      const c = new Model('C');
      const counts: number[] = [];
      a.on('unstream', (n) => counts.push(n));
      const { as } = await connect(a, b);
      const { as: as2 } = await connect(a, c);
      as.end();
      await until(() => counts.length === 1);
      as2.end();
      await until(() => counts.length === 2);
      assert.deepEqual(counts, [1, 0]);
    });

    it('dispose() closes every stream', async () => {
      const a = new Model('A');
      const counts: number[] = [];
      a.on('unstream', (n) => counts.push(n));
      await connect(a, new Model('B'));
      await connect(a, new Model('C'));
      a.dispose();
      await until(() => counts.length === 2);
      assert.deepEqual(counts, [1, 0]);
    });

    it('creating and ending many streams leaves nothing behind', async () => {
      const a = new Events('A');
      for (let i = 0; i < 20; i++) {
        const { as } = await connect(a, new Events(`B${i}`));
        as.end();
        await once(as, 'close');
      }
      assert.equal(a.streamCount, 0);
      assert.ok(a.listenerCount('dispose') <= 1);
    });
  });

  describe('timestamps', () => {
    it('a wall clock that steps back loses no local write', () => {
      let now = 1_700_000_000_000;
      const m = new Model({ id: 'C', now: () => now });
      m.set('x', 1);
      now -= 500;
      m.set('x', 2);
      assert.equal(m.get('x'), 2);
    });

    it('refuses an update too far in the future without moving the clock', () => {
      const m = new Model({ id: 'M', maxClockSkewMs: 1000 });
      const invalid: unknown[] = [];
      m.on('invalid', (e) => invalid.push(e));
      assert.equal(m._update([['k', 'x'], Date.now() + 10_000, 'F']), false);
      assert.equal(m.sources.F, undefined);
      assert.equal((invalid[0] as { code: string }).code, 'ERR_SB_CLOCK_SKEW');
      assert.equal(m._update([['k', 'y'], Date.now(), 'F']), true);
    });

    it('a local write after a remote one sorts after it (causality)', () => {
      let now = 1000;
      const m = new Model({ id: 'A', now: () => now });
      m._update([['k', 'remote'], 1500, 'B']);
      now = 1001;
      m.set('k', 'local');
      assert.equal(m.get('k'), 'local');
    });
  });

  describe('verification', () => {
    const sign = (u: Update) => `sig:${JSON.stringify(u.slice(0, 3))}`;
    const verify = (u: Update, cb: (err: unknown, ok?: boolean) => void) => cb(null, u[3] === sign(u));

    it('signs local updates and verifies remote ones over a stream', async () => {
      const a = new Model({ id: 'A', sign, verify });
      const b = new Model({ id: 'B', sign, verify });
      a.set('k', 1);
      await connect(a, b);
      assert.equal(b.get('k'), 1);
      assert.equal(b.history()[0]?.[3], sign([['k', 1], b.history()[0]?.[1] as number, 'A']));
    });

    it('a forged update is unverified_data and does not move the clock (bug V2)', () => {
      const m = new Model({ id: 'M', sign, verify });
      const bad: unknown[] = [];
      m.on('unverified_data', (u) => bad.push(u));
      m._update([['k', 'forged'], Date.now(), 'VICTIM', 'bad-signature']);
      assert.equal(bad.length, 1);
      assert.equal(m.sources.VICTIM, undefined);
      const real: Update = [['k', 'real'], Date.now() - 10, 'VICTIM'];
      real.push(sign(real));
      assert.equal(m._update(real), true);
      assert.equal(m.get('k'), 'real');
    });

    it('asynchronous verification keeps the order of a source and retries errors', async () => {
      let calls = 0;
      const asyncVerify = (u: Update, cb: (err: unknown, ok?: boolean) => void) => {
        calls++;
        const fail = calls === 1;
        setTimeout(() => (fail ? cb(new Error('key store down')) : cb(null, u[3] === sign(u))), 5);
      };
      const m = new Model({ id: 'M', sign, verify: asyncVerify });
      const now = Date.now();
      const u1: Update = [['k', 1], now - 2, 'S'];
      const u2: Update = [['k', 2], now - 1, 'S'];
      u1.push(sign(u1));
      u2.push(sign(u2));
      m._update(u1);
      m._update(u2);
      await until(() => m.get('k') === 2, 2000, 'verified updates');
      assert.equal(m.sources.S, now - 1);
    });
  });
});

describe('Scuttlebutt: what is owed is sent before output ends', () => {
  const lines = async (stream: NodeJS.ReadableStream): Promise<string[]> => {
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    return text.split('\n').filter((line) => line.length > 0);
  };

  it('a peer that ends right after its header still gets our whole history and SYNC', async () => {
    const b = new Model('B');
    for (let i = 0; i < 5000; i++) b.set(`k${i}`, 'v'.repeat(50));
    const sb = b.createStream();
    sb.write(`${JSON.stringify({ id: 'A', clock: {} })}\n"SYNC"\n`);
    sb.end();
    const out = await lines(sb);
    assert.equal(out.length, 1 + 5000 + 1);
    assert.equal(out.at(-1), '"SYNC"');
  });

  it('dispose() right after createReadStream() still writes everything to the file', async () => {
    const a = new Model('A');
    for (let i = 0; i < 5000; i++) a.set(`k${i}`, i);
    const rs = a.createReadStream();
    a.dispose();
    const out = await lines(rs);
    assert.equal(out.length, 1 + 5000 + 1);
  });

  it('dispose() sends live updates that were waiting for a catch-up pass', async () => {
    const a = new Model('A');
    const s = a.createStream({ limits: { maxBufferedBytes: 1000 } });
    s.write(`${JSON.stringify({ id: 'B', clock: {} })}\n`);
    await settle();
    for (let i = 0; i < 100; i++) a.set(`k${i}`, 'v'.repeat(50));
    a.dispose();
    const updates = (await lines(s)).filter((line) => line.startsWith('['));
    assert.equal(new Set(updates.map((line) => JSON.parse(line)[0][0])).size, 100);
  });

  it('with asynchronous verification, each queued update is relayed to every other stream', async () => {
    const verify = (_u: Update, cb: (err: unknown, ok?: boolean) => void) => setTimeout(() => cb(null, true), 5);
    const m = new Model({ id: 'M', verify, sign: () => 'sig' });
    const s1 = m.createStream();
    const s2 = m.createStream();
    const out1 = capture(s1);
    s1.write(`${JSON.stringify({ id: 'P1', clock: {} })}\n`);
    s2.write(`${JSON.stringify({ id: 'P2', clock: {} })}\n`);
    s2.resume();
    await settle();
    const now = Date.now();
    s1.write(`${JSON.stringify([['a', 1], now, 'S', 'sig'])}\n`);
    s2.write(`${JSON.stringify([['b', 2], now + 1, 'S', 'sig'])}\n`);
    await until(() => m.get('b') === 2);
    await until(() => out1.lines().some((line) => line.startsWith('[["b",2]')), 1000, 'b relayed to P1');
  });

  it('a reader that never reads holds at most about a high-water mark of pushed output', async () => {
    const a = new Model('A');
    const s = a.createStream({ limits: { maxBufferedBytes: 10_000 } });
    s.write(`${JSON.stringify({ id: 'B', clock: {} })}\n`);
    await settle();
    for (let i = 0; i < 20_000; i++) {
      a.set(`k${i % 1000}`, i);
      if (i % 100 === 0) await settle();
    }
    assert.ok(s.readableLength < 16 * 1024 + 64 * 1024, `readableLength ${s.readableLength}`);
    assert.ok(s.session.bufferedBytes <= 10_000 + 100);
  });

  it("removeAllListeners of one bookkeeping event keeps the other event's user listeners", () => {
    const m = new Model('M');
    const fn = () => {};
    m.on('removeListener', fn);
    m.removeAllListeners('newListener');
    assert.ok(m.listeners('removeListener').includes(fn));
    const seen: unknown[] = [];
    m.on('change:k', (v) => seen.push(v));
    m.set('k', 1);
    assert.deepEqual(seen, [1]);
  });
});
