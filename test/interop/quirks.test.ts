/**
 * Robustness against what the original 5.6.15 (or a peer imitating it) puts on the wire
 * (original-behaviour.md, "Behaviours a faithful re-implementation must reproduce", item 6): the
 * history and `"SYNC"` again after a second header (sendClock), `"SYNC"` twice, `\r\n` line ends,
 * stray strings, numbers, booleans and `null`, echoes of our own updates, history from a peer
 * that claimed `readable: false`, and UTF-8 split across TCP segments. Ours tolerates all of
 * them: no `error`, no `invalid`, `sync` once, the right final state, and the stream keeps working.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { Events, Model, type ReplicationStream } from '../../src/index.ts';
import { connectOursAndOriginal, EventLog, scope, waitFor } from '../helpers/interop-net.ts';
import { asWire, loadOriginal, type OriginalStream } from '../helpers/interop-original.ts';

const Original = loadOriginal();
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/**
 * A scripted peer: what it is given with {@link ScriptedPeer.send} goes to the socket as is; what
 * our side writes is collected in `received`.
 */
class ScriptedPeer extends Duplex {
  readonly received: Buffer[] = [];

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.received.push(chunk);
    callback();
  }

  send(bytes: Uint8Array | string): void {
    this.push(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes));
  }

  get text(): string {
    return Buffer.concat(this.received).toString('utf8');
  }
}

/** The original's stream with every `\n` it writes turned into `\r\n`. */
function withCrlf(orig: OriginalStream): Duplex {
  const out = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      orig.write(chunk);
      callback();
    },
    final(callback) {
      orig.end();
      callback();
    },
  });
  orig.on('data', (line: string) => out.push(line.replace(/\n/g, '\r\n')));
  orig.on('end', () => out.push(null));
  return out;
}

describe('tolerance of the original 5.6.15 quirks', () => {
  it('ignores the history and "SYNC" the original sends again after our sendClock header', async (t) => {
    const s = scope(t);
    const master = new Original.Model('M');
    master.set('a', 1);
    master.set('b', { nested: true });
    master.set('c', null);
    const slave = new Model('S');
    const slaveEvents = new EventLog(slave, ['old_data', 'invalid', 'update']);

    const link = await connectOursAndOriginal(
      s,
      'client',
      () => slave.createStream({ readable: false, sendClock: true }),
      () => asWire(master.createStream({ writable: false, sendClock: true })),
    );
    // The master dumped its history at once, then got our header and sent it all again (§1.5 (c)).
    await slaveEvents.wait('old_data', 3);
    await waitFor(() => link.original.written.lines().filter((l) => l === '"SYNC"').length === 2, 'the second "SYNC"');
    const stream = link.ours.stream as ReplicationStream;
    await waitFor(() => stream.session.stats.bytesIn >= Buffer.byteLength(link.original.written.text), 'us to read it all');

    assert.deepEqual(plain(slaveEvents.firstArgs('old_data')), plain(master.history()), 'each re-sent update was old_data');
    assert.equal(link.original.written.updates().length, 6, 'control: the original sent its 3 updates twice');
    assert.equal(slaveEvents.count('update'), 3, 'applied once each');
    assert.deepEqual(plain(slave.toJSON()), { a: 1, b: { nested: true } });
    assert.equal(slave.get('c'), null);
    assert.equal(link.ours.log.count('header'), 1, 'the second header is not reported again');
    assert.equal(link.ours.log.count('sync'), 1, 'sync fires once although "SYNC" came twice');
    assert.equal(link.ours.log.count('error'), 0);
    assert.equal(slaveEvents.count('invalid'), 0);
  });

  it('replicates with an original whose lines end in \\r\\n', async (t) => {
    const s = scope(t);
    const ours = new Model('OURS');
    const orig = new Original.Model('ORIG');
    const oursEvents = new EventLog(ours, ['invalid']);
    ours.set('mine', 'é');
    orig.set('theirs', '世界');

    let origLog: EventLog | undefined;
    const link = await connectOursAndOriginal(
      s,
      'server',
      () => ours.createStream(),
      () => {
        const origStream = orig.createStream();
        origLog = new EventLog(origStream, ['sync']);
        return withCrlf(origStream);
      },
    );
    await Promise.all([link.ours.log.wait('sync'), (origLog as EventLog).wait('sync')]);
    assert.ok(link.original.written.text.includes('"SYNC"\r\n'), 'control: the peer really wrote \\r\\n');
    orig.set('live', [1, 2]);
    ours.set('back', true);
    await waitFor(() => ours.get('live') !== undefined && orig.get('back') === true, 'live updates both ways');

    assert.deepEqual(plain(ours.toJSON()), plain(orig.toJSON()));
    assert.deepEqual(plain(ours.toJSON()), { mine: 'é', theirs: '世界', live: [1, 2], back: true });
    assert.equal(link.ours.log.count('error'), 0);
    assert.equal(oursEvents.count('invalid'), 0);
  });

  it('accepts the history and "SYNC" of an original that claimed readable:false', async (t) => {
    const s = scope(t);
    const ours = new Model('OURS');
    const oursEvents = new EventLog(ours, ['invalid']);
    const orig = new Original.Model('ORIG');
    orig.set('s', 'sent anyway');

    const link = await connectOursAndOriginal(
      s,
      'server',
      () => ours.createStream(),
      () => asWire(orig.createStream({ readable: false })),
    );
    // The original never sends a header, but our header makes it send its history (bug H1).
    await waitFor(() => ours.get('s') === 'sent anyway', 'the history of the readable:false original');
    await link.ours.log.wait('syncRecieved');
    assert.equal(link.ours.log.count('error'), 0);
    assert.equal(oursEvents.count('invalid'), 0);
    assert.equal(link.ours.log.count('header'), 0, 'no header came');
  });

  it('tolerates "SYNC" twice, a second header, \\r\\n, stray strings, numbers, booleans, null and its own echo, split anywhere', async (t) => {
    const s = scope(t);
    const ours = new Model('OURS');
    const oursEvents = new EventLog(ours, ['old_data', 'invalid', 'update']);
    ours.set('mine', 1);
    const mine = ours.history()[0];
    const ts = Date.now();
    const peer = new ScriptedPeer();

    const link = await connectOursAndOriginal(
      s,
      'server',
      () => ours.createStream(),
      () => peer,
    );
    const stream = link.ours.stream as ReplicationStream;

    const script = [
      '{"id":"PEER","clock":{}}\r\n',
      `[["a",1],${ts},"PEER"]\r\n`,
      '"SYNC"\r\n',
      '"SYNC"\n',
      '{"id":"PEER","clock":{}}\r\n', // a second header, asking for everything again
      `[["a",1],${ts},"PEER"]\n`, // its history again
      `[["b","héllo 世界"],${ts + 1},"PEER"]\r\n`,
      '"SYNC"\r\n',
      '"hello"\n42\r\nnull\ntrue\r\nfalse\n-1.5\n"sync"\n',
      `${JSON.stringify(mine)}\r\n`, // the echo of our own update
    ].join('');
    // Send it in pieces, each read by us before the next is sent, so that the TCP segments are
    // these pieces: every 16 bytes, and inside every multi-byte character of "héllo 世界".
    const bytes = Buffer.from(script, 'utf8');
    const cuts = new Set<number>();
    for (let at = 16; at < bytes.length; at += 16) cuts.add(at);
    let offset = 0;
    for (const char of script) {
      const size = Buffer.byteLength(char, 'utf8');
      for (let i = 1; i < size; i++) cuts.add(offset + i);
      offset += size;
    }
    let from = 0;
    for (const to of [...[...cuts].sort((a, b) => a - b), bytes.length]) {
      peer.send(bytes.subarray(from, to));
      await waitFor(() => stream.session.stats.bytesIn >= to, `us to read ${to} bytes`);
      from = to;
    }
    await link.ours.log.wait('sync');

    assert.equal(link.ours.log.count('error'), 0, `error: ${String(link.ours.log.firstArgs('error')[0])}`);
    assert.equal(oursEvents.count('invalid'), 0);
    assert.deepEqual(plain(ours.toJSON()), { mine: 1, a: 1, b: 'héllo 世界' });
    assert.equal(oursEvents.count('old_data'), 2, 'the repeated [a] and the echo of [mine]');
    assert.equal(link.ours.log.count('sync'), 1);
    assert.equal(link.ours.log.count('header'), 1);

    // Still alive both ways, and the second header did not make us send our history again.
    ours.set('after', 'junk');
    peer.send(`[["late",true],${ts + 2},"PEER"]\n`);
    await waitFor(() => ours.get('late') === true && peer.text.includes('"after"'), 'traffic after the junk');
    const lines = peer.text.split('\n').filter((l) => l.length > 0);
    assert.deepEqual(lines, [
      '{"id":"OURS","clock":{"OURS":' + String(mine?.[1]) + '}}',
      JSON.stringify(mine),
      '"SYNC"',
      JSON.stringify(ours.history().find((u) => u[0][0] === 'after')),
    ]);
  });
});

describe('tolerance of what an original Events log may contain', () => {
  it("receives an original's 'error' event without throwing, even with no 'error' listener", async (t) => {
    const s = scope(t);
    const orig = new Original.Events('ORIG');
    orig.on('error', () => {}); // the original itself throws on its own 'error' event without this
    orig.emit('error', 'boom');
    orig.emit('chat', 'after the error');
    const ours = new Events('OURS');
    const chats: unknown[] = [];
    ours.on('chat', (text) => chats.push(text));

    const link = await connectOursAndOriginal(
      s,
      'server',
      () => ours.createStream(),
      () => asWire(orig.createStream()),
    );
    await link.ours.log.wait('sync');
    orig.emit('error', 'live boom');
    orig.emit('chat', 'live');
    await waitFor(() => chats.length === 2, 'the chat events');
    assert.deepEqual(chats, ['after the error', 'live']);
    assert.deepEqual(
      ours.history().map((u) => u[0]),
      [
        ['error', 'boom'],
        ['chat', 'after the error'],
        ['error', 'live boom'],
        ['chat', 'live'],
      ],
    );
    assert.equal(link.ours.log.count('error'), 0);
  });

  it("keeps replicating with an original whose log has events named like our internal signals ('invalid', 'unstream')", async (t) => {
    const s = scope(t);
    const orig = new Original.Events('ORIG');
    // Legal names for the original, which replicates them between its own peers.
    orig.emit('invalid', 'the form field is empty');
    orig.emit('unstream', 1);
    orig.emit('chat', 'after them');
    const ours = new Events('OURS');
    const chats: unknown[] = [];
    ours.on('chat', (text) => chats.push(text));

    const link = await connectOursAndOriginal(
      s,
      'server',
      () => ours.createStream(),
      () => asWire(orig.createStream()),
    );
    await waitFor(() => chats.length === 1 || link.ours.log.count('error') > 0, 'the chat event (or a failure)');
    assert.equal(
      link.ours.log.count('error'),
      0,
      `our stream failed on a legal original log: ${String(link.ours.log.firstArgs('error')[0])}`,
    );
    assert.deepEqual(chats, ['after them']);
    orig.emit('chat', 'live');
    await waitFor(() => chats.length === 2, 'a live event after them');
    assert.equal(ours.disposed, false);
  });
});
