/**
 * Interop: read-only replication with `sendClock` over TCP, as in the original's
 * test/sendclock.js and original-behaviour.md §1.4 / §1.5 (c). The master streams with
 * `{writable: false, sendClock: true}`, the slave with `{readable: false, sendClock: true}`:
 * the master's data reaches the slave, the slave's own writes never reach the master, and a
 * later master write overrides the slave's. Both pairings (original master → our slave, our
 * master → original slave) and both TCP roles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model, type ReplicationStream, type Update } from '../../src/index.ts';
import { connectOursAndOriginal, EventLog, scope, waitFor, waitPastMillisecond } from '../helpers/interop-net.ts';
import { asWire, loadOriginal } from '../helpers/interop-original.ts';

const Original = loadOriginal();
const MASTER = { writable: false, sendClock: true } as const;
const SLAVE = { readable: false, sendClock: true } as const;
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

for (const role of ['server', 'client'] as const) {
  describe(`read-only mode with sendClock over TCP (ours as ${role})`, () => {
    it('replicates an original master to our slave; the slave writes stay local and a later master write overrides', async (t) => {
      const s = scope(t);
      const master = new Original.Model('M');
      const slave = new Model('S');
      const slaveEvents = new EventLog(slave, ['old_data', 'invalid']);
      master.set('a', 1);
      master.set('b', 2);
      slave.set('s', 'slave-local');

      const link = await connectOursAndOriginal(
        s,
        role,
        () => slave.createStream(SLAVE),
        () => asWire(master.createStream(MASTER)),
      );
      await link.ours.log.wait('sync');
      await waitFor(() => slave.get('b') === 2, "the master's history to reach the slave");
      assert.deepEqual(plain(slave.toJSON()), { s: 'slave-local', a: 1, b: 2 });

      slave.set('b', 20);
      const slaveTs = slave.sources.S as number;
      master.set('a', 10);
      await waitFor(() => slave.get('a') === 10, "the master's live update to reach the slave");
      assert.deepEqual(plain(master.toJSON()), { a: 10, b: 2 }, 'nothing of the slave reached the master');

      await waitPastMillisecond(slaveTs);
      master.set('b', 30);
      await waitFor(() => slave.get('b') === 30, "the master's later write to override the slave's");
      assert.deepEqual(plain(slave.toJSON()), { s: 'slave-local', a: 10, b: 30 });
      assert.deepEqual(plain(master.toJSON()), { a: 10, b: 30 });
      assert.equal(master.sources.S, undefined, 'the master never applied an update of the slave');

      // Our slave is readable:false: it wrote its header (sendClock) and nothing else, even
      // after the master's header, history, "SYNC" and live updates (the original's bug H1).
      const lines = link.ours.written.lines();
      assert.equal(lines.length, 1, `our slave wrote only its header, got:\n${lines.join('\n')}`);
      assert.deepEqual(JSON.parse(lines[0] as string), { id: 'S', clock: { S: JSON.parse(lines[0] as string).clock.S } });
      assert.equal(link.ours.log.count('sync'), 1, "our slave's sync fired once");
      assert.equal(link.ours.log.count('error'), 0);
      assert.equal(slaveEvents.count('invalid'), 0);
    });

    it('replicates our master to an original slave; the slave writes never reach our master and a later master write overrides', async (t) => {
      const s = scope(t);
      const master = new Model('M');
      const slave = new Original.Model('S');
      const masterEvents = new EventLog(master, ['update', 'old_data', 'invalid']);
      master.set('a', 1);
      master.set('b', 2);
      slave.set('s', 'slave-local');

      const link = await connectOursAndOriginal(
        s,
        role,
        () => master.createStream(MASTER),
        () => asWire(slave.createStream(SLAVE)),
      );
      await link.original.log.wait('sync');
      await waitFor(() => slave.get('b') === 2, "our master's history to reach the original slave");
      assert.deepEqual(plain(slave.toJSON()), { s: 'slave-local', a: 1, b: 2 });

      slave.set('b', 20); // the original slave sends this anyway (bug H1); our master must ignore it
      const slaveTs = slave.sources.S as number;
      master.set('a', 10);
      await waitFor(() => slave.get('a') === 10, "our master's live update to reach the slave");
      await waitFor(
        () => link.original.written.updates().some((u) => JSON.stringify(u[0]) === '["a",10]'),
        'the original slave to echo a=10 (after its b=20)',
      );
      // Barrier: our master has consumed every byte the original slave wrote so far.
      const stream = link.ours.stream as ReplicationStream;
      const slaveBytes = Buffer.byteLength(link.original.written.text);
      await waitFor(() => stream.session.stats.bytesIn >= slaveBytes, 'our master to read all the slave wrote');

      const fromSlave = link.original.written.updates().filter((u) => u[2] === 'S');
      assert.ok(fromSlave.length >= 2, 'control: the original slave did send its own updates (bug H1)');
      assert.deepEqual(plain(master.toJSON()), { a: 10, b: 2 }, 'our master ignored them');
      assert.equal(master.sources.S, undefined);
      assert.equal(masterEvents.count('old_data'), 0, 'not even looked at: writable:false ignores updates');
      assert.deepEqual(
        masterEvents.firstArgs('update'),
        [
          ['a', 1],
          ['b', 2],
          ['a', 10],
        ],
        'our master applied only its own changes',
      );

      await waitPastMillisecond(slaveTs);
      master.set('b', 30);
      await waitFor(() => slave.get('b') === 30, "the master's later write to override the slave's");
      assert.deepEqual(plain(slave.toJSON()), { s: 'slave-local', a: 10, b: 30 });
      assert.deepEqual(plain(master.toJSON()), { a: 10, b: 30 });

      // Our master sent its history once, although the slave's header came after it had started.
      const sent = link.ours.written.updates().map((u) => JSON.stringify(u[0]));
      assert.deepEqual(sent, ['["a",1]', '["b",2]', '["a",10]', '["b",30]']);
      assert.equal(link.ours.written.lines().filter((l) => l === '"SYNC"').length, 1);
      assert.equal(link.ours.log.count('error'), 0);
      assert.equal(masterEvents.count('invalid'), 0);
    });
    it('sends only what our slave lacks when the original master waits for its clock ({writable: false, clock: true})', async (t) => {
      const s = scope(t);
      const master = new Original.Model('M');
      const slave = new Model('S');
      const slaveEvents = new EventLog(slave, ['old_data', 'invalid']);
      master.set('a', 1);
      master.set('b', 2);
      // The slave already has a (loaded from a file, say): a late replica catching up.
      slave._update(master.history()[0] as Update);
      assert.deepEqual(plain(slave.toJSON()), { a: 1 });

      const link = await connectOursAndOriginal(
        s,
        role,
        () => slave.createStream(SLAVE),
        () => asWire(master.createStream({ writable: false, clock: true })),
      );
      await link.ours.log.wait('sync');
      assert.deepEqual(plain(slave.toJSON()), { a: 1, b: 2 });
      assert.deepEqual(
        link.original.written.updates().map((u) => JSON.stringify(u[0])),
        ['["b",2]'],
        'the master sent only b, once: our header carried our clock',
      );
      master.set('c', 3);
      await waitFor(() => slave.get('c') === 3, 'a live update');
      assert.equal(slaveEvents.count('old_data'), 0);
      assert.equal(link.ours.written.lines().length, 1, 'our slave wrote only its header');
      assert.equal(link.ours.log.count('error'), 0);
    });

    it('sends only what the original slave lacks when our master waits for its clock ({writable: false, clock: true})', async (t) => {
      const s = scope(t);
      const master = new Model('M');
      const slave = new Original.Model('S');
      master.set('a', 1);
      master.set('b', 2);
      const slaveOld: unknown[] = [];
      slave.on('old_data', (u: unknown) => slaveOld.push(u));
      slave._update(plain(master.history()[0]) as unknown[]);
      assert.deepEqual(plain(slave.toJSON()), { a: 1 });

      const link = await connectOursAndOriginal(
        s,
        role,
        () => master.createStream({ writable: false, clock: true }),
        () => asWire(slave.createStream(SLAVE)),
      );
      await link.original.log.wait('sync');
      await waitFor(() => slave.get('b') === 2, "our master's history");
      master.set('c', 3);
      await waitFor(() => slave.get('c') === 3, 'a live update');
      const lines = link.ours.written.lines();
      assert.equal(JSON.parse(lines[0] as string).id, 'M', 'our header first');
      assert.deepEqual(
        link.ours.written.updates().map((u) => JSON.stringify(u[0])),
        ['["b",2]', '["c",3]'],
        'our master sent b and c once each, and never a',
      );
      assert.equal(slaveOld.length, 0, 'the original slave got nothing twice');
      assert.equal(link.ours.log.count('error'), 0);
    });
  });
}
