/**
 * Interop: `createStream({ meta })` travels in the header and arrives as `header.meta` on the
 * peer's `'header'` event, between our streams and the original 5.6.15 over TCP, in both
 * directions and both roles (the original's test/meta.js; original-behaviour.md §1.2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { connectOursAndOriginal, scope } from '../helpers/interop-net.ts';
import { asWire, loadOriginal } from '../helpers/interop-original.ts';

const Original = loadOriginal();
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

interface SeenHeader {
  id: string;
  clock: Record<string, number>;
  meta?: unknown;
}

for (const role of ['server', 'client'] as const) {
  describe(`meta in the header over TCP (ours as ${role})`, () => {
    it("delivers our meta as header.meta on the original's header event, and the original's to ours", async (t) => {
      const s = scope(t);
      const ours = new Model('OURS');
      const orig = new Original.Model('ORIG');
      ours.set('k', 1);
      orig.set('j', 2);
      const oursMeta = { name: 'ours', tags: ['a', 'é'], nested: { n: 1, nil: null } };
      const origMeta = { name: 'original', version: 5, list: [true, false] };
      const oursClock = plain(ours.sources);
      const origClock = plain(orig.sources);

      const link = await connectOursAndOriginal(
        s,
        role,
        () => ours.createStream({ meta: oursMeta }),
        () => asWire(orig.createStream({ meta: origMeta })),
      );
      await Promise.all([link.ours.log.wait('header'), link.original.log.wait('header')]);

      const atOriginal = link.original.log.firstArgs('header')[0] as SeenHeader;
      assert.equal(atOriginal.id, 'OURS');
      assert.deepEqual(atOriginal.meta, oursMeta);
      assert.deepEqual(atOriginal.clock, oursClock, 'our clock as it was when the header went out');

      const atOurs = link.ours.log.firstArgs('header')[0] as SeenHeader;
      assert.equal(atOurs.id, 'ORIG');
      assert.deepEqual(plain(atOurs.meta), origMeta);
      assert.deepEqual(plain(atOurs.clock), origClock);
      assert.deepEqual(plain(link.ours.stream.remoteHeader), plain(atOurs), 'remoteHeader is the header event');

      assert.equal(link.ours.log.count('header'), 1);
      assert.equal(link.ours.log.count('error'), 0);
    });

    it('sends no meta key when no meta is given, like the original', async (t) => {
      const s = scope(t);
      const ours = new Model('OURS');
      const orig = new Original.Model('ORIG');

      const link = await connectOursAndOriginal(
        s,
        role,
        () => ours.createStream(),
        () => asWire(orig.createStream()),
      );
      await Promise.all([link.ours.log.wait('header'), link.original.log.wait('header')]);

      assert.equal(link.ours.written.lines()[0], '{"id":"OURS","clock":{}}');
      assert.equal(link.original.written.lines()[0], '{"id":"ORIG","clock":{}}');
      const atOriginal = link.original.log.firstArgs('header')[0] as SeenHeader;
      assert.equal('meta' in atOriginal, false);
      const atOurs = link.ours.log.firstArgs('header')[0] as SeenHeader;
      assert.equal(atOurs.meta, undefined);
    });
  });
}
