import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Events, isScuttlebuttError, Model, RemoteProtocolError, type ReplicationStream, type ScuttlebuttError } from '../../src/index.ts';
import { connect, settle, until, withTimeout } from '../helpers/streams.ts';

/** Writes `input` into a fresh stream of a model with data, with no 'error' listener of ours. */
async function feed(input: string | string[], model = new Model('M')) {
  model.set('safe', 1);
  const before = JSON.stringify(model.history());
  const invalid: ScuttlebuttError[] = [];
  model.on('invalid', (e) => invalid.push(e));
  const stream = model.createStream();
  stream.resume();
  const closed = new Promise((resolve) => stream.once('close', resolve));
  for (const chunk of Array.isArray(input) ? input : [input]) stream.write(chunk);
  await withTimeout(closed, 1000, 'close');
  return { model, stream, invalid, before, error: stream.errored as ScuttlebuttError | null };
}

describe('ReplicationStream', () => {
  describe('bad input', () => {
    const cases: [string, string | string[], string][] = [
      ['invalid JSON', 'GET / HTTP/1.1\r\n', 'ERR_SB_INVALID_JSON'],
      ['a header without a clock', '{"id":"X"}\n', 'ERR_SB_INVALID_HEADER'],
      ['a header with a bad clock entry', '{"id":"X","clock":{"A":"soon"}}\n', 'ERR_SB_INVALID_HEADER'],
      ['an update with too few elements', '[["k",1],5]\n', 'ERR_SB_INVALID_UPDATE'],
      ['an update with a null change', '[null,5,"X"]\n', 'ERR_SB_INVALID_UPDATE'],
      ['an update with a string change', '["ab",5,"X"]\n', 'ERR_SB_INVALID_UPDATE'],
      ['an update with a numeric key', '[[1,2],5,"X"]\n', 'ERR_SB_INVALID_UPDATE'],
      ['a "__proto__" key', '[["__proto__",{"polluted":true}],5,"X"]\n', 'ERR_SB_FORBIDDEN_KEY'],
      ['a "__proto__" source', '[["k",1],5,"__proto__"]\n', 'ERR_SB_FORBIDDEN_KEY'],
      ['a non-finite timestamp', '[["k",1],1e999,"X"]\n', 'ERR_SB_INVALID_TIMESTAMP'],
      ['a string timestamp', '[["k",1],"5","X"]\n', 'ERR_SB_INVALID_TIMESTAMP'],
      ['a line over 1 MiB without a newline', ['[["k","', 'x'.repeat(1024 * 1024)], 'ERR_SB_MESSAGE_TOO_LARGE'],
    ];
    for (const [what, input, code] of cases) {
      it(`${what}: destroys the stream with ${code}, leaves the model as it was, reports invalid`, async () => {
        const { model, invalid, before, error } = await feed(input);
        assert.ok(isScuttlebuttError(error), 'a typed error');
        assert.ok(error instanceof RemoteProtocolError);
        assert.equal(error.code, code);
        assert.equal(JSON.stringify(model.history()), before);
        assert.equal(invalid.length, 1);
        assert.equal(invalid[0], error);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(model.streamCount, 0);
      });
    }

    it('keeps valid updates that came before the bad line', async () => {
      const { model } = await feed(`[["good",1],${Date.now()},"X"]\ngarbage\n`);
      assert.equal(model.get('good'), 1);
    });

    it('other streams of the model carry on', async () => {
      const a = new Model('A');
      const b = new Model('B');
      await connect(a, b);
      await feed('garbage\n', a);
      a.set('after', 1);
      await until(() => b.get('after') === 1);
    });

    it('an Events model survives events named hasOwnProperty and a remote error event', async () => {
      const e = new Events('E');
      const s = e.createStream();
      s.resume();
      s.write(`[["hasOwnProperty"],${Date.now()},"X"]\n[["error","boom"],${Date.now() + 1},"X"]\n`);
      await settle();
      assert.equal(e.history().length, 2);
      assert.equal(s.destroyed, false);
    });

    it('emits error at most once, then closes', async () => {
      const m = new Model('M');
      const s = m.createStream();
      const errors: unknown[] = [];
      s.on('error', (e) => errors.push(e));
      s.resume();
      s.write('garbage\n');
      s.write('more garbage\n');
      await new Promise((resolve) => s.once('close', resolve));
      assert.equal(errors.length, 1);
    });

    it('ignores blank lines, other strings, numbers and null, as the original does', async () => {
      const m = new Model('M');
      const s = m.createStream();
      s.resume();
      s.write(`\n\n"hello"\n5\nnull\ntrue\n[["k",1],${Date.now()},"X"]\r\n`);
      await settle();
      assert.equal(m.get('k'), 1);
      assert.equal(s.destroyed, false);
    });
  });

  describe('backpressure', () => {
    it('a reader that never reads bounds what the stream buffers, and catches up when it reads', async () => {
      const a = new Model('A');
      const b = new Model('B');
      const { as, bs } = await connect(a, b);
      as.unpipe(bs);
      const limit = 64 * 1024;
      for (let i = 0; i < 20_000; i++) a.set(`k${i % 500}`, 'x'.repeat(100) + i);
      await settle();
      const held = as.session.bufferedBytes + as.readableLength;
      assert.ok(held < 1024 * 1024 + limit * 2, `held ${held} units`);
      as.pipe(bs);
      await until(() => b.get('k499') === 'x'.repeat(100) + 19999, 5000, 'catch-up');
      assert.deepEqual(b.toJSON(), a.toJSON());
    });
  });

  describe('options', () => {
    it('rejects an unknown wrapper', () => {
      assert.throws(() => new Model().createStream({ wrapper: 'xml' as 'json' }), TypeError);
    });

    it('sets name', () => {
      const s: ReplicationStream = new Model().createStream({ name: 'peer-1' });
      assert.equal(s.name, 'peer-1');
    });

    it('honours per-stream limits', async () => {
      const { error } = await feed('[["k","' + 'x'.repeat(200) + '"]]\n', new Model({ id: 'M', limits: { maxMessageBytes: 100 } }));
      assert.equal(error?.code, 'ERR_SB_MESSAGE_TOO_LARGE');
    });
  });
});

describe('ReplicationStream: oversized updates', () => {
  it('refuses an update with hundreds of thousands of extra elements, and the model keeps working', async () => {
    const m = new Model('M');
    const s = m.createStream();
    s.resume();
    const closed = new Promise((resolve) => s.once('close', resolve));
    s.write(`${JSON.stringify({ id: 'P', clock: {} })}\n`);
    s.write(`${JSON.stringify([['k', 1], Date.now(), 'P', ...new Array(300_000).fill(0)])}\n`);
    await closed;
    assert.equal((s.errored as { code?: string } | null)?.code, 'ERR_SB_INVALID_UPDATE');
    assert.equal(m.get('k'), undefined);
    assert.doesNotThrow(() => m.history());
  });

  it('refuses an event with too many arguments without throwing out of write()', async () => {
    const e = new Events('E');
    const s = e.createStream();
    s.resume();
    const closed = new Promise((resolve) => s.once('close', resolve));
    assert.doesNotThrow(() => s.write(`${JSON.stringify([['x', ...new Array(300_000).fill(0)], Date.now(), 'P'])}\n`));
    await closed;
    assert.equal((s.errored as { code?: string } | null)?.code, 'ERR_SB_INVALID_UPDATE');
    assert.equal(e.history().length, 0);
  });
});
