import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppendOnly } from '../../src/entries/append-only.ts';
import { RArray } from '../../src/entries/array.ts';
import { Doc } from '../../src/entries/doc.ts';
import { Model, type Scuttlebutt } from '../../src/index.ts';
import { persist } from '../../src/persist/index.ts';
import { createAuth } from '../../src/security/index.ts';
import { tempDir } from '../helpers/persist-fs.ts';
import { capture, connect, settle, until } from '../helpers/streams.ts';

describe('Model tombstone collection and the reset extension', () => {
  it('collectTombstones() drops deletions older than tombstoneTtlMs, and only those', () => {
    let now = 1_000_000;
    const m = new Model({ id: 'A', now: () => now, tombstoneTtlMs: 1000 });
    m.set('old', 1);
    m.set('old', null);
    now += 600;
    m.set('young', 1);
    m.set('young', null);
    m.set('revived', null);
    m.set('revived', 2);
    now += 600;
    assert.equal(m.collectTombstones(), 1);
    assert.deepEqual(m.keys().sort(), ['revived', 'young']);
    assert.equal(m.history().length, 2);
    assert.equal(m.get('old'), undefined);
  });

  it('keeps deletions forever by default and announces nothing new on the wire', async () => {
    const m = new Model('A');
    m.set('k', 1);
    m.set('k', null);
    assert.equal(m.collectTombstones(Number.MAX_SAFE_INTEGER), 0);
    const out = capture(m.createReadStream({ tail: false }));
    await settle();
    assert.deepEqual(Object.keys(JSON.parse(out.lines()[0] as string)), ['id', 'clock']);
  });

  it('a peer that comes back after a deletion was collected drops the key instead of keeping it', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const a = new Model({ id: 'A', now: clock, tombstoneTtlMs: 1000 });
    const b = new Model({ id: 'B', now: clock, tombstoneTtlMs: 1000 });
    a.set('k', 'v');
    a.set('stays', 1);
    b.set('mine', 'b');
    const first = await connect(a, b);
    first.as.end();
    await until(() => a.streamCount === 0 && b.streamCount === 0);
    assert.equal(b.get('k'), 'v');

    now += 10;
    a.set('k', null); // while B is away
    b.set('offline', 'b'); // B writes too
    now += 5000;
    assert.equal(a.collectTombstones(), 1);
    assert.equal(a.needsResetFor(b.sources), true);

    const changes: unknown[] = [];
    b.on('change:k', (v) => changes.push(v));
    const second = await connect(a, b);
    await settle();
    assert.equal(second.as.session.stats.resets, 1, 'A sent a reset snapshot');
    assert.equal(b.get('k'), undefined, 'the deleted key is gone on B');
    assert.deepEqual(changes, [null]);
    assert.equal(a.get('k'), undefined, 'and was not brought back to A');
    assert.deepEqual(a.toJSON(), b.toJSON());
    assert.deepEqual(a.toJSON(), { stays: 1, mine: 'b', offline: 'b' });
  });

  it('a peer without the extension gets ordinary history and cannot bring the key back', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const a = new Model({ id: 'A', now: clock, tombstoneTtlMs: 1000 });
    const legacy = new Model({ id: 'L', now: clock }); // keeps tombstones: announces no reset
    a.set('k', 'v');
    const first = await connect(a, legacy);
    first.as.end();
    await until(() => a.streamCount === 0);
    now += 10;
    a.set('k', null);
    now += 5000;
    a.collectTombstones();
    const second = await connect(a, legacy);
    await settle();
    assert.equal(second.as.session.stats.resets, 0);
    assert.equal(a.get('k'), undefined, 'the old write is old data for A');
  });
});

/** One model kind, driven the same way: write an element, delete it, see whether it is there. */
interface Kind {
  name: string;
  create(id: string, now: () => number): Scuttlebutt & { collectTombstones(): number; toJSON(): unknown };
  write(m: Scuttlebutt, label: string): string;
  remove(m: Scuttlebutt, identity: string): void;
  present(m: Scuttlebutt, identity: string): boolean;
}

const KINDS: Kind[] = [
  {
    name: 'Model',
    create: (id, now) => new Model({ id, now, tombstoneTtlMs: 1000 }),
    write: (m, label) => ((m as Model).set(label, label), label),
    remove: (m, key) => (m as Model).set(key, null),
    present: (m, key) => (m as Model).has(key),
  },
  {
    name: 'RArray',
    create: (id, now) => new RArray({ id, now, tombstoneTtlMs: 1000 }),
    write: (m, label) => (m as RArray).push(label),
    remove: (m, key) => (m as RArray).unset(key),
    present: (m, key) => (m as RArray).get(key) !== undefined,
  },
  {
    name: 'Doc',
    create: (id, now) => new Doc({ id, now, tombstoneTtlMs: 1000 }),
    write: (m, label) => (m as Doc).add({ id: label, name: label }).id,
    remove: (m, id) => (m as Doc).rm(id),
    present: (m, id) => (m as Doc).has(id),
  },
  {
    name: 'AppendOnly',
    create: (id, now) => new AppendOnly({ id, now, tombstoneTtlMs: 1000 }),
    write: (m, label) => (m as AppendOnly).push({ label }),
    remove: (m, id) => (m as AppendOnly).remove(id),
    present: (m, id) => (m as AppendOnly).has(id),
  },
];

describe('resets travel on across links that stayed live', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: A–B–C; A deletes and collects while B is away; B and then C drop the element`, async () => {
      let now = 1_000_000;
      const clock = () => now;
      const [a, b, c] = ['A', 'B', 'C'].map((id) => kind.create(id, clock)) as [
        ReturnType<Kind['create']>,
        ReturnType<Kind['create']>,
        ReturnType<Kind['create']>,
      ];
      const gone = kind.write(a, 'gone');
      kind.write(a, 'stays');
      const ab = await connect(a, b);
      const bc = await connect(b, c);
      await settle();
      assert.ok(kind.present(c, gone));
      ab.as.end();
      await until(() => a.streamCount === 0);

      now += 10;
      kind.remove(a, gone);
      const fresh = kind.write(c, 'written-meanwhile'); // reaches B live, never A
      now += 5000;
      assert.ok(a.collectTombstones() >= 1);

      await connect(a, b);
      await until(() => !kind.present(c, gone), 2000, 'C drops the element');
      assert.equal(bc.as.session.stats.resets, 1, 'B sent C a reset over the live link');
      assert.ok(!kind.present(b, gone));
      await until(() => kind.present(a, fresh), 2000, "C's write reaches A");
      assert.deepEqual(b.toJSON(), a.toJSON());
      assert.deepEqual(c.toJSON(), a.toJSON());
      for (const m of [a, b, c]) m.dispose();
    });
  }
});

describe('collected deletions survive a restart (persist)', () => {
  it('a snapshot stores the clock and the collected horizon; after a reload the model still resets a stale peer', async (t) => {
    const file = join(tempDir(t), 'a.sb');
    let now = 1_000_000;
    const clock = () => now;
    const a = new Model({ id: 'A', now: clock, tombstoneTtlMs: 1000 });
    const store = persist(a, file);
    await store.ready;
    const peer = new Model({ id: 'P', now: clock, tombstoneTtlMs: 1000 });
    const first = await connect(a, peer);
    const w = new Model({ id: 'W', now: clock, tombstoneTtlMs: 1000 });
    w.set('gone', 'v'); // W's only write: once deleted and collected, nothing stored covers it
    await connect(w, a);
    await until(() => peer.get('gone') === 'v');
    first.as.end();
    await until(() => peer.streamCount === 0);
    now += 10;
    a.set('gone', null);
    now += 5000;
    assert.equal(a.collectTombstones(), 1);
    await store.compact();
    await store.close();
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0] as string);
    assert.ok(header.collected.A > 0, 'the header holds the collected horizon');
    assert.ok(header.clock.W > 0, "and W's clock entry, though no stored update is W's");

    const reloaded = new Model({ id: 'A', now: clock, tombstoneTtlMs: 1000 });
    const again = persist(reloaded, file);
    await again.ready;
    t.after(() => again.close());
    assert.equal(reloaded.get('gone'), undefined);
    assert.equal(reloaded.sources.W, a.sources.W, "W's write stays old data after the restart");
    assert.equal(reloaded.needsResetFor(peer.sources), true);
    const second = await connect(reloaded, peer);
    await settle();
    assert.equal(second.as.session.stats.resets, 1);
    assert.equal(peer.get('gone'), undefined, 'the stale peer dropped the key');
    assert.equal(reloaded.get('gone'), undefined, 'and did not bring it back');
  });
});

describe('collection waits for the grace period, even when every peer has the deletion', () => {
  it('a deletion the only connected peer has is still kept until tombstoneTtlMs has passed', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const a = new Model({ id: 'A', now: clock, tombstoneTtlMs: 60_000 });
    const b = new Model({ id: 'B', now: clock, tombstoneTtlMs: 60_000 });
    a.set('x', 1);
    const ab = await connect(a, b);
    a.set('x', null);
    await settle();
    assert.equal(b.get('x'), null);
    // A write older than the deletion could still be on its way from a writer not heard from yet.
    assert.equal(a.collectTombstones(), 0);
    now += 60_001;
    assert.equal(a.collectTombstones(), 1);
    assert.equal(b.collectTombstones(), 1);
    ab.as.end();
  });
});

describe('resets from untrusted peers', () => {
  it('a reset dated beyond maxClockSkewMs is refused as invalid and drops nothing', async () => {
    const now = 1_000_000;
    const m = new Model({ id: 'M', now: () => now, tombstoneTtlMs: 1000 });
    m.set('k', 'v');
    const invalid: Array<{ code?: string }> = [];
    m.on('invalid', (e) => invalid.push(e));
    const s = m.createStream();
    const future = now + 3_600_000;
    s.write(`{"id":"X","clock":{},"reset":1}\n{"reset":{"clock":{"M":${future}},"collected":{"M":${future}}}}\n"SYNC"\n`);
    await settle();
    assert.equal(m.get('k'), 'v');
    assert.deepEqual(
      invalid.map((e) => e.code),
      ['ERR_SB_CLOCK_SKEW'],
    );
    assert.ok((m.sources.M as number) < future, 'our clock did not jump');
  });

  it('with peer authentication a reset drops nothing (without, the same reset drops the key)', async () => {
    const now = 1_000_000;
    const reset = `{"id":"X","clock":{},"reset":1}\n{"reset":{"clock":{"M":${now + 10}}}}\n"SYNC"\n`;
    const guarded = new Model({ id: 'M', now: () => now, tombstoneTtlMs: 1000, auth: createAuth() });
    const open = new Model({ id: 'M', now: () => now, tombstoneTtlMs: 1000 });
    for (const m of [guarded, open]) {
      m.set('k', 'v');
      m.createStream().write(reset);
    }
    await settle();
    assert.equal(guarded.get('k'), 'v');
    assert.equal(open.get('k'), undefined);
  });
});
