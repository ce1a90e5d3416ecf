/**
 * Interop: our `Model` and the original `scuttlebutt/model` 5.6.15 over real TCP sockets on
 * 127.0.0.1, ours as the server and as the client. History both ways, live updates both ways, no
 * echo from us (we count what our stream writes to its socket), and the original's echoes
 * ignored by us as `old_data` (original-behaviour.md §1.3 step 3, bug E1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { Model, type ReplicationStream, type Update } from '../../src/index.ts';
import { connectOursAndOriginal, EventLog, type Role, type Scope, scope, waitFor, waitPastMillisecond } from '../helpers/interop-net.ts';
import { asWire, loadOriginal, type OriginalModel } from '../helpers/interop-original.ts';

const Original = loadOriginal();
const MODEL_EVENTS = ['old_data', 'update', 'invalid', 'error'] as const;

/** Connects `ours` and `orig` over TCP with default streams and waits until both sides emitted `sync`. */
async function connectAndSync(s: Scope, role: Role, ours: Model, orig: OriginalModel) {
  const link = await connectOursAndOriginal(
    s,
    role,
    () => ours.createStream({ name: 'ours' }),
    () => asWire(orig.createStream({ name: 'original' })),
  );
  await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
  return link;
}

/** A JSON copy: plain objects, comparable with deepEqual whatever their prototype. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function assertNoErrors(stream: { log: EventLog }, model: EventLog): void {
  assert.equal(stream.log.count('error'), 0, `our stream emitted error: ${String(stream.log.firstArgs('error')[0])}`);
  assert.equal(model.count('invalid'), 0, `our model emitted invalid: ${String(model.firstArgs('invalid')[0])}`);
}

for (const role of ['server', 'client'] as const) {
  const other = role === 'server' ? 'client' : 'server';

  describe(`Model over TCP: ours as ${role}, the original 5.6.15 as ${other}`, () => {
    it(`replicates history both ways when each side has keys before connecting`, async (t) => {
      const s = scope(t);
      const ours = new Model('OURS');
      const orig = new Original.Model('ORIG');
      const oursEvents = new EventLog(ours, MODEL_EVENTS);

      ours.set('fromOurs', 1);
      ours.set('unicode', 'héllo → 世界 🎉');
      ours.set('nested', { list: [1, 'two', null, { three: 3 }], empty: {} });
      ours.set('contested', 'ours, older');
      ours.set('zero', 0);
      const oursContestedTs = ours.history().find((u) => u[0][0] === 'contested')?.[1] as number;
      await waitPastMillisecond(oursContestedTs);
      orig.set('fromOriginal', 2);
      orig.set('contested', 'original, newer');
      orig.set('deleted', 'soon gone');
      orig.set('deleted', null);
      orig.set('falsy', false);

      const { ours: link } = await connectAndSync(s, role, ours, orig);

      const expected = {
        fromOurs: 1,
        unicode: 'héllo → 世界 🎉',
        nested: { list: [1, 'two', null, { three: 3 }], empty: {} },
        contested: 'original, newer',
        zero: 0,
        fromOriginal: 2,
        falsy: false,
      };
      assert.deepEqual(plain(ours.toJSON()), expected);
      assert.deepEqual(plain(orig.toJSON()), expected);
      assert.equal(ours.get('deleted'), null, 'the tombstone replicated to us');
      assert.deepEqual(plain(ours.history()), plain(orig.history()), 'same history, same order');
      assert.deepEqual(plain(ours.sources), plain(orig.sources), 'same vector clock');
      assertNoErrors(link, oursEvents);
    });

    it('replicates live updates both ways and converges to equal toJSON()', async (t) => {
      const s = scope(t);
      const ours = new Model('OURS');
      const orig = new Original.Model('ORIG');
      const oursEvents = new EventLog(ours, MODEL_EVENTS);
      ours.set('seed', 'ours');
      orig.set('seed2', 'original');
      const { ours: link } = await connectAndSync(s, role, ours, orig);

      orig.set('o1', 'from the original');
      ours.set('u1', 'from ours');
      orig.set('o2', { deep: ['é', 2] });
      ours.set('u2', [1, 2, 3]);
      await waitFor(() => ours.get('o2') !== undefined && orig.get('u2') !== undefined, 'the first live updates');

      ours.set('u1', null); // a live deletion
      orig.set('o1', 'changed by the original');
      ours.set('seed2', 'overwritten by ours');
      await waitFor(
        () => orig.get('u1') === null && ours.get('o1') === 'changed by the original' && orig.get('seed2') === 'overwritten by ours',
        'the second live updates',
      );

      const expected = {
        seed: 'ours',
        seed2: 'overwritten by ours',
        o1: 'changed by the original',
        o2: { deep: ['é', 2] },
        u2: [1, 2, 3],
      };
      assert.deepEqual(plain(ours.toJSON()), expected);
      assert.deepEqual(plain(orig.toJSON()), expected);
      assert.deepEqual(plain(ours.sources), plain(orig.sources));
      assertNoErrors(link, oursEvents);
    });

    it('replicates a large history both ways, split across many TCP segments', async (t) => {
      const s = scope(t);
      const ours = new Model('OURS');
      const orig = new Original.Model('ORIG');
      const oursEvents = new EventLog(ours, MODEL_EVENTS);
      const filler = 'é世🎉x'.repeat(40); // multi-byte characters, so segment ends fall inside them
      const count = 2000;
      for (let i = 0; i < count; i++) ours.set(`ours-${i}`, { i, filler });
      for (let i = 0; i < count; i++) orig.set(`orig-${i}`, { i, filler });

      const { ours: link } = await connectAndSync(s, role, ours, orig);
      const expected: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) expected[`ours-${i}`] = { i, filler };
      for (let i = 0; i < count; i++) expected[`orig-${i}`] = { i, filler };
      assert.deepEqual(plain(ours.toJSON()), expected, 'we decoded everything intact');
      // The original has every key, but may have corrupted characters split across segments
      // (its bug S4), so only its keys and clock are compared.
      assert.deepEqual(Object.keys(orig.toJSON()).sort(), Object.keys(expected).sort());
      assert.deepEqual(plain(ours.sources), plain(orig.sources));
      assert.ok(Buffer.byteLength(link.written.text) > 500_000, 'more than half a megabyte each way');
      assert.equal(link.written.updates().length, count, 'each of our updates sent once');
      assertNoErrors(link, oursEvents);
    });

    it('never echoes an update back to the original', async (t) => {
      const s = scope(t);
      const ours = new Model('OURS');
      const orig = new Original.Model('ORIG');
      const oursEvents = new EventLog(ours, MODEL_EVENTS);
      ours.set('h1', 1);
      ours.set('h2', 2);
      const h2Ts = ours.sources.OURS;
      orig.set('x', 'history of the original');
      const { ours: link, original } = await connectAndSync(s, role, ours, orig);

      for (let i = 0; i < 5; i++) orig.set(`live${i}`, i);
      await waitFor(() => ours.get('live4') === 4, 'the original live updates to reach us');
      // A barrier: our output is ordered, so once this reaches the original, any echo we might
      // have produced for live0..live4 has been written to our socket before it.
      ours.set('barrier', true);
      await waitFor(() => orig.get('barrier') === true, 'our barrier to reach the original');

      const lines = link.written.lines();
      assert.deepEqual(JSON.parse(lines[0] as string), { id: 'OURS', clock: { OURS: h2Ts } }, 'the first line is our header');
      assert.equal(lines.filter((l) => l === '"SYNC"').length, 1, 'one "SYNC"');
      const sent = link.written.updates();
      assert.deepEqual(
        sent.map((u) => u[2]),
        ['OURS', 'OURS', 'OURS'],
        `we sent only our own updates (history h1, h2, live barrier), got:\n${lines.join('\n')}`,
      );
      assert.deepEqual(
        sent.map((u) => (u[0] as [string, unknown])[0]),
        ['h1', 'h2', 'barrier'],
      );
      // The control: the same measurement on the original's side sees its echo of our barrier.
      await waitFor(() => original.written.updates().some((u) => u[2] === 'OURS'), 'the original to echo our barrier');
      assertNoErrors(link, oursEvents);
    });

    it('ignores the echoes the original sends back, emitting them as old_data', async (t) => {
      const s = scope(t);
      const ours = new Model('OURS');
      const orig = new Original.Model('ORIG');
      const oursEvents = new EventLog(ours, MODEL_EVENTS);
      const { ours: link, original } = await connectAndSync(s, role, ours, orig);
      const changes: unknown[] = [];
      ours.on('change:e', (value) => changes.push(value));

      ours.set('e', 'first');
      ours.set('f', 'second');
      await oursEvents.wait('old_data', 2);

      const echoed = oursEvents.firstArgs('old_data') as Update[];
      assert.deepEqual(
        plain(echoed),
        plain(ours.history()),
        'each live update came back once from the original and was reported as old_data',
      );
      assert.deepEqual(original.written.updates().filter((u) => u[2] === 'OURS').length, 2, 'the original wrote exactly the two echoes');
      assert.deepEqual(changes, ['first'], 'the echo did not fire change:e again');
      assert.equal(oursEvents.count('update'), 2, 'one update event per local set, none for the echoes');
      assert.deepEqual(plain(ours.toJSON()), { e: 'first', f: 'second' });
      assert.deepEqual(plain(orig.toJSON()), { e: 'first', f: 'second' });
      assertNoErrors(link, oursEvents);
      assert.equal((link.stream as ReplicationStream).destroyed, false, 'the stream is still open');
    });
  });
}

describe('Model over TCP: ours relaying between two originals (original ↔ ours ↔ original)', () => {
  it('relays history and live updates both ways, sending each update once per link and none back to its source', async (t) => {
    const s = scope(t);
    const ours = new Model('OURS');
    const left = new Original.Model('LEFT');
    const right = new Original.Model('RIGHT');
    const oursEvents = new EventLog(ours, MODEL_EVENTS);
    ours.set('k0', 'ours');
    left.set('k1', 'left');
    right.set('k2', 'right');

    const toLeft = await connectOursAndOriginal(
      s,
      'server',
      () => ours.createStream(),
      () => asWire(left.createStream()),
    );
    const toRight = await connectOursAndOriginal(
      s,
      'client',
      () => ours.createStream(),
      () => asWire(right.createStream()),
    );
    await Promise.all([toLeft.ours.log.wait('sync'), toRight.ours.log.wait('sync')]);
    const same = (a: { toJSON(): unknown }, b: { toJSON(): unknown }) => isDeepStrictEqual(plain(a.toJSON()), plain(b.toJSON()));
    await waitFor(() => same(left, ours) && same(right, ours) && Object.keys(ours.toJSON()).length === 3, 'history everywhere');

    left.set('l1', 1);
    right.set('r1', 2);
    ours.set('o1', 3);
    left.set('k2', 'left wins, later');
    await waitFor(
      () => same(left, ours) && same(right, ours) && ours.get('k2') === 'left wins, later' && ours.get('r1') === 2,
      'live updates everywhere',
    );
    assert.deepEqual(plain(ours.toJSON()), { k0: 'ours', k1: 'left', k2: 'left wins, later', l1: 1, r1: 2, o1: 3 });
    assert.deepEqual(plain(right.toJSON()), plain(ours.toJSON()));
    assert.deepEqual(plain(left.toJSON()), plain(ours.toJSON()));

    // Barrier: one more update each way through us, so whatever we would send is on the wire.
    ours.set('barrier', true);
    await waitFor(() => left.get('barrier') === true && right.get('barrier') === true, 'the barrier');
    for (const [link, source] of [
      [toLeft, 'LEFT'],
      [toRight, 'RIGHT'],
    ] as const) {
      const sent = link.ours.written.updates();
      assert.equal(sent.filter((u) => u[2] === source).length, 0, `nothing of ${source} went back to ${source}`);
      const ids = sent.map((u) => `${u[2]}@${u[1]}`);
      assert.equal(new Set(ids).size, ids.length, `no update sent twice to ${source}`);
    }
    assert.equal(toLeft.ours.log.count('error') + toRight.ours.log.count('error'), 0);
    assert.equal(oursEvents.count('invalid'), 0);
  });
});
