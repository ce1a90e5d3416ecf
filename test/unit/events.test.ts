import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultEvents from '../../src/entries/events.ts';
import { Events } from '../../src/index.ts';
import { connect, settle, until } from '../helpers/streams.ts';

describe('Events', () => {
  it('is the default export of scuttlebutt-ts/events', () => {
    assert.equal(DefaultEvents, Events);
  });

  it('fires every event exactly once on every replica, history and live', async () => {
    const a = new Events('A');
    const b = new Events('B');
    const seenA: string[] = [];
    const seenB: string[] = [];
    for (const [m, seen] of [
      [a, seenA],
      [b, seenB],
    ] as const) {
      m.on('e', (x: string) => seen.push(x));
    }
    a.emit('e', 'a1');
    a.emit('e', 'a2');
    a.emit('e', 'a3');
    b.emit('e', 'b1');
    b.emit('e', 'b2');
    b.emit('e', 'b3');
    await connect(a, b);
    assert.deepEqual([...seenA].sort(), ['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    assert.deepEqual([...seenB].sort(), ['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    b.emit('e', 'live');
    await until(() => seenA.length === 7, 1000, 'live event');
    await settle();
    assert.equal(seenB.length, 7);
    assert.deepEqual(a.history(), b.history());
  });

  it('carries any number of arguments and keeps identical payloads apart', async () => {
    const a = new Events('A');
    const b = new Events('B');
    const seen: unknown[][] = [];
    b.on('msg', (...args) => seen.push(args));
    a.emit('msg', 'hello', 1, { x: [1, 2] });
    a.emit('msg', 'hello');
    a.emit('msg', 'hello');
    await connect(a, b);
    assert.deepEqual(seen, [['hello', 1, { x: [1, 2] }], ['hello'], ['hello']]);
  });

  it('an event named "hasOwnProperty" or "constructor" replicates without harm', async () => {
    const a = new Events('A');
    const b = new Events('B');
    const seen: string[] = [];
    b.on('hasOwnProperty', () => seen.push('hasOwnProperty'));
    b.on('constructor', () => seen.push('constructor'));
    a.emit('hasOwnProperty', 1);
    a.emit('constructor', 2);
    await connect(a, b);
    assert.deepEqual(seen, ['hasOwnProperty', 'constructor']);
  });

  it('a remote "error" event with no listener does not throw', async () => {
    const a = new Events('A');
    const b = new Events('B');
    a.on('error', () => {});
    a.emit('error', 'boom');
    await connect(a, b);
    assert.equal(b.history().length, 1);
  });

  it('refuses "__proto__" and keeps internal signals local', () => {
    const e = new Events('A');
    assert.throws(() => e.emit('__proto__', 1), RangeError);
    let disposed = 0;
    e.on('dispose', () => disposed++);
    e.emit('dispose');
    assert.equal(disposed, 1);
    assert.equal(e.history().length, 0);
  });

  describe('bounded log', () => {
    it('maxEvents keeps the newest N, and a dropped event is never accepted again', () => {
      const e = new Events({ id: 'A', maxEvents: 3 });
      for (let i = 0; i < 10; i++) e.emit('n', i);
      assert.equal(e.size, 3);
      assert.deepEqual(
        e.history().map((u) => u[0][1]),
        [7, 8, 9],
      );
      assert.equal(e._update([['n', 'old'], 1, 'A']), false);
    });

    it('maxAgeMs drops events older than the age on the model clock', () => {
      let now = 1_000_000;
      const e = new Events({ id: 'A', maxAgeMs: 1000, now: () => now });
      e.emit('n', 1);
      now += 500;
      e.emit('n', 2);
      now += 600;
      assert.deepEqual(
        e.history().map((u) => u[0][1]),
        [2],
      );
    });

    it('rejects a bad maxEvents', () => {
      assert.throws(() => new Events({ maxEvents: 0 }), RangeError);
      assert.throws(() => new Events({ maxEvents: '5' as unknown as number }), TypeError);
    });
  });
});
