import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HybridClock, timestamp } from '../../src/index.ts';
import { nextUp } from '../../src/protocol/clock.ts';

describe('HybridClock', () => {
  describe('next()', () => {
    it('returns the wall clock when it moved forward', () => {
      const clock = new HybridClock(1000);
      assert.equal(clock.next(1700000000000), 1700000000000);
      assert.equal(clock.next(1700000000005), 1700000000005);
    });

    it('strictly increases within one millisecond, past the spacing of doubles', () => {
      const clock = new HybridClock(1000);
      let last = 0;
      for (let i = 0; i < 5000; i++) {
        const ts = clock.next(1700000000000);
        assert.ok(ts > last, `step ${i}`);
        last = ts;
      }
    });

    it('keeps increasing when the wall clock steps back (no local write is lost)', () => {
      const clock = new HybridClock(1000);
      const a = clock.next(1700000000000);
      const b = clock.next(1700000000000 - 500);
      assert.ok(b > a);
    });

    it('issues timestamps after every observed one', () => {
      const clock = new HybridClock(60000);
      clock.next(1000);
      clock.observe(5000);
      assert.ok(clock.next(1001) > 5000);
    });

    it('still increases at magnitudes where 0.001 is below the spacing of doubles', () => {
      const clock = new HybridClock(1000);
      const a = clock.next(2 ** 60);
      assert.ok(clock.next(2 ** 60) > a);
    });
  });

  describe('accepts()', () => {
    it('refuses timestamps further ahead than maxSkewMs', () => {
      const clock = new HybridClock(60000);
      assert.equal(clock.accepts(1000 + 60000, 1000), true);
      assert.equal(clock.accepts(1000 + 60001, 1000), false);
    });
  });
});

describe('nextUp()', () => {
  it('returns the next double', () => {
    assert.ok(nextUp(1) > 1);
    assert.equal(nextUp(1) - 1, Number.EPSILON);
  });
});

describe('timestamp()', () => {
  it('is strictly increasing across calls', () => {
    let last = timestamp();
    for (let i = 0; i < 1000; i++) {
      const ts = timestamp();
      assert.ok(ts > last);
      last = ts;
    }
  });
});
