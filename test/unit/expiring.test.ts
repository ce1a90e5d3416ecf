import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultExpiring, { ExpiringModel } from '../../src/entries/expiring.ts';
import { isScuttlebuttError } from '../../src/index.ts';
import { feed, flush, link, schemaOf } from '../helpers/models.ts';

/** A wall clock the test moves. */
function fakeTime(start = 1_000_000) {
  const t = { now: start };
  return { t, now: () => t.now };
}

describe('ExpiringModel', () => {
  it('is the default export of scuttlebutt-ts/expiring, with expiry-model defaults', () => {
    assert.equal(DefaultExpiring, ExpiringModel);
    const m = new ExpiringModel();
    assert.equal(m.maxAgeMs, 86_400_000);
    assert.equal(m.maxSize, 500);
    assert.equal(new ExpiringModel({ maxAge: 5, max: 7 }).maxSize, 7);
    m.dispose();
  });

  it('set/get/toJSON; get gives null when absent; null deletes', () => {
    const m = new ExpiringModel('A');
    assert.equal(m.get('x'), null);
    m.set('x', 1);
    m.set('y', 'two');
    m.delete('x');
    assert.deepEqual(m.toJSON(), { y: 'two' });
    assert.equal(m.size, 1);
    m.dispose();
  });

  it('emits update(key, value, ts, source) with the merged value', () => {
    const m = new ExpiringModel('A');
    const seen: unknown[] = [];
    m.on('update', (k, v, ts, s) => seen.push([k, v, typeof ts, s]));
    m.set('o', { a: 1 });
    m.set('o', { b: 2 });
    assert.deepEqual(seen, [
      ['o', { a: 1 }, 'number', 'A'],
      ['o', { a: 1, b: 2 }, 'number', 'A'],
    ]);
    m.dispose();
  });

  it('merges object fields by last write, in any order of arrival', () => {
    const updates = [
      [['k', { a: 1 }], 10, 'P'],
      [['k', { a: 2, b: 2 }], 20, 'Q'],
      [['k', { b: 3 }], 30, 'R'],
      [['k', 'scalar'], 15, 'S'],
    ] as const;
    const results: unknown[] = [];
    for (const order of [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
      [1, 3, 0, 2],
    ]) {
      const m = new ExpiringModel({ id: 'M', maxAgeMs: Number.POSITIVE_INFINITY, now: () => 100 });
      for (const i of order) m.receiveUpdate(structuredClone(updates[i]) as never);
      results.push(m.toJSON());
    }
    for (const result of results) assert.deepEqual(result, { k: { a: 2, b: 3 } });
  });

  it('a deletion is kept until it expires, so an older write cannot bring the key back', () => {
    const m = new ExpiringModel({ id: 'M', now: () => 100 });
    m.receiveUpdate([['k', null], 50, 'P']);
    m.receiveUpdate([['k', 'old'], 40, 'Q']);
    assert.deepEqual(m.toJSON(), {});
  });

  it('expires writes maxAgeMs after their timestamp, on every replica, and refuses expired updates', async () => {
    const clock = fakeTime();
    const a = new ExpiringModel({ id: 'A', maxAgeMs: 1000, now: clock.now });
    const b = new ExpiringModel({ id: 'B', maxAgeMs: 1000, now: clock.now });
    a.set('k', 'v');
    const close = await link(a, b);
    assert.equal(b.get('k'), 'v');
    clock.t.now += 1001;
    const expired: string[] = [];
    a.on('expire', (k: string) => expired.push(k));
    assert.equal(a.get('k'), null);
    assert.equal(b.get('k'), null);
    assert.deepEqual(expired, ['k']);
    assert.equal(a.history().length, 0);
    await close();
    const invalid: Error[] = [];
    a.on('invalid', (e: Error) => invalid.push(e));
    assert.equal(a.receiveUpdate([['old', 1], clock.t.now - 2000, 'Z']), false);
    assert.equal(invalid.length, 1);
    assert.ok(isScuttlebuttError(invalid[0]));
    assert.equal(a.sources.Z, undefined);
    a.dispose();
    b.dispose();
  });

  it('refuses a future-dated update (clock skew) as invalid', () => {
    const clock = fakeTime();
    const a = new ExpiringModel({ id: 'A', now: clock.now });
    const invalid: Array<{ code?: string }> = [];
    a.on('invalid', (e) => invalid.push(e));
    a.receiveUpdate([['k', 1], clock.t.now + 3_600_000, 'Z']);
    assert.equal(invalid[0]?.code, 'ERR_SB_CLOCK_SKEW');
    assert.deepEqual(a.toJSON(), {});
    a.dispose();
  });

  it('evicts the least recently written keys beyond maxSize, the same on every replica', async () => {
    const a = new ExpiringModel({ id: 'A', maxSize: 3 });
    const b = new ExpiringModel({ id: 'B', maxSize: 3 });
    const evicted: string[] = [];
    a.on('evict', (k: string) => evicted.push(k));
    for (const k of ['k1', 'k2', 'k3']) a.set(k, k);
    a.set('k1', 'again');
    a.set('k4', 'k4');
    assert.deepEqual(evicted, ['k2']);
    assert.deepEqual(Object.keys(a.toJSON()).sort(), ['k1', 'k3', 'k4']);
    await link(a, b);
    assert.deepEqual(b.toJSON(), a.toJSON());
    a.dispose();
    b.dispose();
  });

  it('collects the clock entry of a source with no live write once it is older than maxAgeMs', () => {
    const clock = fakeTime();
    const a = new ExpiringModel({ id: 'A', maxAgeMs: 1000, now: clock.now });
    a.receiveUpdate([['k', 'fromZ'], clock.t.now - 10, 'Z']);
    a.receiveUpdate([['k', 'fromY'], clock.t.now - 5, 'Y']);
    assert.equal(typeof a.sources.Z, 'number');
    clock.t.now += 500;
    a.get('k');
    assert.equal(typeof a.sources.Z, 'number', 'too recent: kept');
    clock.t.now += 600;
    a.get('k');
    assert.equal(a.sources.Z, undefined);
    assert.equal(a.sources.Y, undefined);
    // Anything Z could resend up to its forgotten entry is refused as expired.
    assert.equal(a.receiveUpdate([['k', 'replay'], clock.t.now - 1100, 'Z']), false);
    assert.deepEqual(a.toJSON(), {});
    a.dispose();
  });

  it('frees memory by itself: a timer expires writes with nobody reading', async () => {
    const a = new ExpiringModel({ id: 'A', maxAgeMs: 20 });
    a.set('k', 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(a.writeCount, 0);
    a.dispose();
  });

  it('bad input: a non-string key or "__proto__" is refused with a typed error, model unchanged', async () => {
    const a = new ExpiringModel('A');
    a.set('k', 1);
    assert.ok(isScuttlebuttError(await feed(a, [[[5, 1], Date.now(), 'X']])));
    assert.ok(isScuttlebuttError(await feed(a, [[['__proto__', 1], Date.now(), 'X']])));
    assert.ok(isScuttlebuttError(await feed(a, [['k', Date.now(), 'X']])));
    assert.deepEqual(a.toJSON(), { k: 1 });
    a.dispose();
  });

  it('schema: a bad remote value is refused as invalid and not applied', async () => {
    const a = new ExpiringModel({ id: 'A', schema: schemaOf((v): v is number => typeof v === 'number') });
    const invalid: Error[] = [];
    a.on('invalid', (e: Error) => invalid.push(e));
    await feed(a, [[['k', 'x'], Date.now(), 'X']]);
    await flush();
    assert.equal(invalid.length, 1);
    assert.deepEqual(a.toJSON(), {});
    a.dispose();
  });
});
