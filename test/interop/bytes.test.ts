/**
 * Byte-level interop with scuttlebutt 5.6.15: with a deterministic wall clock, our output for the
 * sequences of original-behaviour.md §1.5 (a), §1.5 (b) and §1.6 equals the original's bytes,
 * minus the echoes (the lines where the original sends an update back to its own source, bug E1).
 * The original's bytes are pinned as golden frames in `test/fixtures/v5.6.15/`; the original is
 * re-run against them too, so a wrong fixture cannot pass unnoticed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Events, LineDecoder, Model, type Update } from '../../src/index.ts';
import { connectOursAndOriginal, EventLog, type Role, type Scope, scope, waitFor } from '../helpers/interop-net.ts';
import { asWire, loadOriginal, primeOriginalTimestamp, resetOriginalTimestamp, withDateNow } from '../helpers/interop-original.ts';
import {
  type GoldenTranscript,
  runOriginalPersist,
  runOriginalTranscriptA,
  runOriginalTranscriptB,
  runOursPersist,
  runOursTranscriptA,
  runOursTranscriptB,
  T0,
  Wall,
} from '../helpers/interop-transcripts.ts';

const Original = loadOriginal();
const FIXTURES = new URL('../fixtures/v5.6.15/', import.meta.url);
const readFixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

const goldenA = JSON.parse(readFixture('model-transcript-a.json')) as GoldenTranscript & {
  final: { toJSON: Record<string, unknown>; sources: Record<string, number>; history: Update[] };
};
const goldenB = JSON.parse(readFixture('events-transcript-b.json')) as GoldenTranscript & { final: { history: Update[] } };
const persistBytes = readFixture('model-persist.txt');
const persistExpected = JSON.parse(readFixture('model-persist.expected.json')) as {
  toJSON: Record<string, unknown>;
  keys: string[];
  history: Update[];
  sources: Record<string, number>;
};

const all = (lines: GoldenTranscript['aToB']): string[] => lines.map((l) => l.line);
const withoutEchoes = (lines: GoldenTranscript['aToB']): string[] => lines.filter((l) => !l.echo).map((l) => l.line);
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Lets queued microtasks, ticks and one more I/O turn run, so anything a stream would write has been written. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A tiny seeded PRNG (mulberry32), for reproducible chunkings. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits bytes into chunks: whole, one byte at a time, or random sizes from `seed`. */
function chunkings(bytes: Uint8Array, seed: number): Array<[string, Uint8Array[]]> {
  const single: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
  const random: Uint8Array[] = [];
  const next = prng(seed);
  for (let i = 0; i < bytes.length; ) {
    const size = 1 + Math.floor(next() * 16);
    random.push(bytes.subarray(i, i + size));
    i += size;
  }
  return [
    ['whole', [bytes]],
    ['one byte at a time', single],
    [`random chunks (seed ${seed})`, random],
  ];
}

describe('byte-level compatibility with scuttlebutt 5.6.15 (golden frames in test/fixtures/v5.6.15)', () => {
  describe('Model transcript, original-behaviour.md §1.5 (a)', () => {
    it('the original 5.6.15 still writes exactly the golden frames, echoes included', async () => {
      const run = await runOriginalTranscriptA();
      assert.deepEqual(run.aToB, all(goldenA.aToB));
      assert.deepEqual(run.bToA, all(goldenA.bToA));
      assert.deepEqual(run.a.toJSON(), goldenA.final.toJSON);
      assert.deepEqual(run.a.sources, goldenA.final.sources);
      assert.deepEqual(run.b.history(), goldenA.final.history);
    });

    it('our Models write the golden frames minus the echoes, and end in the golden state', async () => {
      const run = await runOursTranscriptA();
      assert.deepEqual(run.aToB, withoutEchoes(goldenA.aToB), 'A → B');
      assert.deepEqual(run.bToA, withoutEchoes(goldenA.bToA), 'B → A');
      for (const model of [run.a, run.b]) {
        assert.deepEqual(plain(model.toJSON()), goldenA.final.toJSON);
        assert.deepEqual(plain(model.sources), goldenA.final.sources);
        assert.deepEqual(plain(model.history()), goldenA.final.history);
      }
    });

    for (const role of ['server', 'client'] as const) {
      it(`over TCP, ours as ${role} writes its side of the golden frames minus the echo, and the original writes its side exactly`, async (t) => {
        const s = scope(t);
        const { ours, original, oursIs } = await tcpTranscriptA(s, role);
        const [oursGolden, origGolden] = oursIs === 'A' ? [goldenA.aToB, goldenA.bToA] : [goldenA.bToA, goldenA.aToB];
        assert.deepEqual(ours, withoutEchoes(oursGolden));
        assert.deepEqual(original, all(origGolden));
      });
    }
  });

  describe('Events transcript, original-behaviour.md §1.5 (b)', () => {
    it('the original 5.6.15 still writes exactly the golden frames, echoes included', async () => {
      const run = await runOriginalTranscriptB();
      assert.deepEqual(run.aToB, all(goldenB.aToB));
      assert.deepEqual(run.bToA, all(goldenB.bToA));
    });

    it('our Events write the golden frames minus the echoes, and end with the golden history', async () => {
      const run = await runOursTranscriptB();
      assert.deepEqual(run.aToB, withoutEchoes(goldenB.aToB), 'A → B');
      assert.deepEqual(run.bToA, withoutEchoes(goldenB.bToA), 'B → A');
      assert.deepEqual(plain(run.a.history()), goldenB.final.history);
      assert.deepEqual(plain(run.b.history()), goldenB.final.history);
    });

    for (const role of ['server', 'client'] as const) {
      it(`over TCP, ours as ${role} writes its side of the golden frames minus the echo, and the original writes its side exactly`, async (t) => {
        const s = scope(t);
        const { ours, original, oursIs } = await tcpTranscriptB(s, role);
        const [oursGolden, origGolden] = oursIs === 'A' ? [goldenB.aToB, goldenB.bToA] : [goldenB.bToA, goldenB.aToB];
        assert.deepEqual(ours, withoutEchoes(oursGolden));
        assert.deepEqual(original, all(origGolden));
      });
    }
  });

  describe('persistence file, original-behaviour.md §1.6', () => {
    it('the original 5.6.15 still writes exactly the golden file', async () => {
      assert.equal(await runOriginalPersist(), persistBytes);
    });

    it('our tailing createReadStream(), ended by dispose(), writes the golden file byte for byte', async () => {
      assert.equal(await runOursPersist(), persistBytes);
    });

    it('our createWriteStream() restores the golden model from the file in any chunking', async () => {
      const bytes = new TextEncoder().encode(persistBytes);
      for (const [how, chunks] of chunkings(bytes, 0x5eed)) {
        const model = new Model({ id: 'LOADER', now: () => T0 });
        const invalid = new EventLog(model, ['invalid']);
        const stream = model.createWriteStream();
        const log = new EventLog(stream, ['sync', 'error']);
        const finished = once(stream, 'finish');
        for (const chunk of chunks) stream.write(chunk);
        stream.end();
        await finished;
        assert.equal(log.count('error'), 0, `${how}: ${String(log.firstArgs('error')[0])}`);
        assert.equal(invalid.count('invalid'), 0, how);
        assert.equal(log.count('sync'), 1, `${how}: sync once`);
        assert.deepEqual(plain(model.toJSON()), persistExpected.toJSON, how);
        assert.deepEqual(model.keys(), persistExpected.keys, how);
        assert.deepEqual(plain(model.history()), persistExpected.history, how);
        assert.deepEqual(plain(model.sources), persistExpected.sources, how);
      }
    });
  });

  describe('decoding the golden frames', () => {
    const lines = [
      ...all(goldenA.aToB),
      ...all(goldenA.bToA),
      ...all(goldenB.aToB),
      ...all(goldenB.bToA),
      ...persistBytes.split('\n').filter((l) => l.length > 0),
    ];

    for (const ending of ['\n', '\r\n']) {
      it(`our LineDecoder decodes every golden line, in any chunking (${JSON.stringify(ending)} line ends)`, () => {
        const expected = lines.map((line) => JSON.parse(line) as unknown);
        const bytes = new TextEncoder().encode(lines.map((l) => l + ending).join(''));
        for (const [how, chunks] of chunkings(bytes, 42)) {
          const decoder = new LineDecoder(1024 * 1024);
          const values: unknown[] = [];
          for (const chunk of chunks) values.push(...decoder.push(chunk));
          values.push(...decoder.end());
          assert.deepEqual(values, expected, how);
        }
      });
    }

    it('a third Model fed the golden A → B frames (echo included) through createWriteStream() ends in the golden state', async () => {
      const model = new Model({ id: 'C', now: () => T0 + 5 });
      const stream = model.createWriteStream();
      const log = new EventLog(stream, ['error']);
      const finished = once(stream, 'finish');
      stream.end(all(goldenA.aToB).join('\n') + '\n');
      await finished;
      assert.equal(log.count('error'), 0);
      assert.deepEqual(plain(model.toJSON()), goldenA.final.toJSON);
      assert.deepEqual(plain(model.sources), goldenA.final.sources);
    });
  });
});

/**
 * §1.5 (a) over TCP with ours playing A when we are the server and B when we are the client.
 * Returns the lines each side wrote to its socket.
 */
async function tcpTranscriptA(s: Scope, role: Role): Promise<{ ours: string[]; original: string[]; oursIs: 'A' | 'B' }> {
  const wall = new Wall();
  resetOriginalTimestamp();
  if (role === 'server') {
    const a = new Model({ id: 'A', now: wall.now });
    const b = new Original.Model('B');
    const aEvents = new EventLog(a, ['old_data']);
    a.set('foo', 'bar');
    a.set('n', 1);
    const link = await connectOursAndOriginal(
      s,
      role,
      () => a.createStream(),
      () => asWire(b.createStream()),
    );
    await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
    wall.ms = T0 + 5;
    a.set('foo', 'baz');
    await waitFor(() => b.get('foo') === 'baz', 'foo=baz to reach the original B');
    // In the golden run both originals shared monotonic-timestamp, so B's write in A's
    // millisecond got T0+5+1/1001; reproduce that state.
    primeOriginalTimestamp(T0 + 5);
    withDateNow(T0 + 5, () => b.set('x', null));
    await waitFor(() => a.get('x') === null, 'x=null to reach our A');
    await aEvents.wait('old_data'); // the original's echo of foo=baz
    await settle();
    return { ours: link.ours.written.lines(), original: link.original.written.lines(), oursIs: 'A' };
  }
  const a = new Original.Model('A');
  const b = new Model({ id: 'B', now: wall.now });
  const bEvents = new EventLog(b, ['old_data']);
  withDateNow(T0, () => {
    a.set('foo', 'bar');
    a.set('n', 1);
  });
  const link = await connectOursAndOriginal(
    s,
    role,
    () => b.createStream(),
    () => asWire(a.createStream()),
  );
  await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
  withDateNow(T0 + 5, () => a.set('foo', 'baz'));
  await waitFor(() => b.get('foo') === 'baz', 'foo=baz to reach our B');
  wall.ms = T0 + 5;
  b.set('x', null);
  await waitFor(() => a.get('x') === null, 'x=null to reach the original A');
  await bEvents.wait('old_data'); // the original's echo of x=null
  await settle();
  return { ours: link.ours.written.lines(), original: link.original.written.lines(), oursIs: 'B' };
}

/** §1.5 (b) over TCP, ours playing A as the server and B as the client. */
async function tcpTranscriptB(s: Scope, role: Role): Promise<{ ours: string[]; original: string[]; oursIs: 'A' | 'B' }> {
  const wall = new Wall();
  resetOriginalTimestamp();
  if (role === 'server') {
    const a = new Events({ id: 'A', now: wall.now });
    const b = new Original.Events('B');
    a.emit('msg', 'hello', 1, { x: [1, 2] });
    a.emit('msg', 'hello');
    withDateNow(T0 + 1, () => b.emit('other'));
    const link = await connectOursAndOriginal(
      s,
      role,
      () => a.createStream(),
      () => asWire(b.createStream()),
    );
    await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
    const aEvents = new EventLog(a, ['old_data']);
    withDateNow(T0 + 2, () => b.emit('msg', 'live'));
    await waitFor(() => a.history().length === 4, 'the live event to reach our A');
    await settle();
    assert.equal(aEvents.count('old_data'), 0);
    return { ours: link.ours.written.lines(), original: link.original.written.lines(), oursIs: 'A' };
  }
  const a = new Original.Events('A');
  const b = new Events({ id: 'B', now: wall.now });
  withDateNow(T0, () => {
    a.emit('msg', 'hello', 1, { x: [1, 2] });
    a.emit('msg', 'hello');
  });
  wall.ms = T0 + 1;
  b.emit('other');
  const link = await connectOursAndOriginal(
    s,
    role,
    () => b.createStream(),
    () => asWire(a.createStream()),
  );
  await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
  const bEvents = new EventLog(b, ['old_data']);
  wall.ms = T0 + 2;
  b.emit('msg', 'live');
  await bEvents.wait('old_data'); // the original's echo of msg('live')
  await settle();
  return { ours: link.ours.written.lines(), original: link.original.written.lines(), oursIs: 'B' };
}
