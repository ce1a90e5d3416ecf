/**
 * Interop: our `Events` and the original `scuttlebutt/events` 5.6.15 over real TCP sockets, ours
 * as the server and as the client. Every listener fires exactly once per event on each side, for
 * events emitted before connecting (history) and after (live), even though the original echoes
 * every live event back (original-behaviour.md §1.5 (b)).
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { Events, type Update } from '../../src/index.ts';
import { connectOursAndOriginal, EventLog, scope, waitFor } from '../helpers/interop-net.ts';
import { asWire, loadOriginal } from '../helpers/interop-original.ts';

const Original = loadOriginal();

/** Counts, per listener, how many times each payload was delivered. */
class Deliveries {
  readonly #counts = new Map<string, number>();

  /** Adds a listener named `label` for `event` on `emitter`. */
  listen(emitter: EventEmitter, event: string, label: string): void {
    emitter.on(event, (...args: unknown[]) => {
      const key = `${label} ${event} ${JSON.stringify(args)}`;
      this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    });
  }

  /** Every `label event args` key with its count. */
  get all(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  has(label: string, event: string, args: unknown[]): boolean {
    return this.#counts.has(`${label} ${event} ${JSON.stringify(args)}`);
  }
}

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

for (const role of ['server', 'client'] as const) {
  const other = role === 'server' ? 'client' : 'server';

  describe(`Events over TCP: ours as ${role}, the original 5.6.15 as ${other}`, () => {
    it('fires every listener exactly once per event on both sides, for history and live events', async (t) => {
      const s = scope(t);
      const ours = new Events('OURS');
      const orig = new Original.Events('ORIG');
      const oursModelEvents = new EventLog(ours, ['old_data', 'invalid']);
      const origModelEvents = new EventLog(orig, ['old_data']);
      const deliveries = new Deliveries();
      // Two listeners for 'msg' and one for each other event, on each side.
      for (const [label, emitter] of [
        ['ours', ours],
        ['original', orig],
      ] as const) {
        deliveries.listen(emitter, 'msg', `${label}#1`);
        deliveries.listen(emitter, 'msg', `${label}#2`);
        deliveries.listen(emitter, 'other', `${label}#1`);
        deliveries.listen(emitter, 'done', `${label}#1`);
      }

      // History: emitted before the link exists.
      ours.emit('msg', 'ours history 1', 1, { x: [1, 2] });
      ours.emit('msg', 'ours history 1', 1, { x: [1, 2] }); // an identical payload is a second event
      ours.emit('other');
      orig.emit('msg', 'original history 1');
      orig.emit('other', 'original', 'several', 'arguments');

      const link = await connectOursAndOriginal(
        s,
        role,
        () => ours.createStream(),
        () => asWire(orig.createStream()),
      );
      await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);

      // Live.
      ours.emit('msg', 'ours live é');
      orig.emit('msg', 'original live 世界');
      ours.emit('other', null, false, 0);
      // Barriers, one each way: after them, everything sent before has been delivered.
      orig.emit('done', 'original');
      ours.emit('done', 'ours');
      await waitFor(
        () => deliveries.has('ours#1', 'done', ['original']) && deliveries.has('original#1', 'done', ['ours']),
        'both barriers to cross',
      );
      // The original echoes our 3 live events back; wait for the last one, which we must ignore.
      await waitFor(
        () => oursModelEvents.firstArgs('old_data').some((u) => JSON.stringify((u as Update)[0]) === '["done","ours"]'),
        'the echo of our barrier',
      );

      const payloads: Array<[string, unknown[], number]> = [
        ['msg', ['ours history 1', 1, { x: [1, 2] }], 2],
        ['other', [], 1],
        ['msg', ['original history 1'], 1],
        ['other', ['original', 'several', 'arguments'], 1],
        ['msg', ['ours live é'], 1],
        ['msg', ['original live 世界'], 1],
        ['other', [null, false, 0], 1],
        ['done', ['original'], 1],
        ['done', ['ours'], 1],
      ];
      const expected: Record<string, number> = {};
      for (const label of ['ours', 'original']) {
        for (const [event, args, times] of payloads) {
          const listenerLabels = event === 'msg' ? [`${label}#1`, `${label}#2`] : [`${label}#1`];
          for (const l of listenerLabels) expected[`${l} ${event} ${JSON.stringify(args)}`] = times;
        }
      }
      assert.deepEqual(deliveries.all, Object.fromEntries(Object.entries(expected).sort(([a], [b]) => (a < b ? -1 : 1))));

      assert.deepEqual(plain(ours.history()), plain(orig.history()), 'same event log, same order');
      assert.equal(origModelEvents.count('old_data'), 0, 'we never sent the original anything twice');
      assert.equal(oursModelEvents.count('old_data'), 3, 'the original echoed each of our 3 live events once, and we dropped them');
      assert.equal(
        link.ours.written.updates().filter((u) => u[2] !== 'OURS').length,
        0,
        'we never wrote an event of the original back to it',
      );
      assert.equal(link.ours.log.count('error'), 0);
      assert.equal(oursModelEvents.count('invalid'), 0);
    });
  });
}
