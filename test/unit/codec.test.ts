import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeLine, LineDecoder, MessageType, RemoteProtocolError } from '../../src/index.ts';
import { readMessage } from '../../src/protocol/codec.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('LineDecoder', () => {
  describe('push()', () => {
    it('returns the values of complete lines and keeps the rest', () => {
      const d = new LineDecoder(1024);
      assert.deepEqual(d.push(bytes('{"a":1}\n[1,2')), [{ a: 1 }]);
      assert.equal(d.pendingBytes, 4);
      assert.deepEqual(d.push(bytes(',3]\n"SYNC"\n')), [[1, 2, 3], 'SYNC']);
      assert.equal(d.pendingBytes, 0);
    });

    it('decodes a UTF-8 character split across chunks', () => {
      const line = bytes('"h\u00e9llo \ud834\udd1e"\n');
      for (let cut = 1; cut < line.length; cut++) {
        const d = new LineDecoder(1024);
        const out = [...d.push(line.subarray(0, cut)), ...d.push(line.subarray(cut))];
        assert.deepEqual(out, ['h\u00e9llo \ud834\udd1e'], `cut at ${cut}`);
      }
    });

    it('ignores blank lines, whitespace-only lines and \\r\\n line ends', () => {
      const d = new LineDecoder(1024);
      assert.deepEqual(d.push(bytes('\n\r\n  \n"SYNC"\r\n[1]\n')), ['SYNC', [1]]);
    });

    it('accepts strings as well as bytes', () => {
      const d = new LineDecoder(1024);
      assert.deepEqual(d.push('[1]\n'), [[1]]);
    });

    it('reports invalid JSON with ERR_SB_INVALID_JSON after the lines before it', () => {
      const d = new LineDecoder(1024);
      assert.deepEqual(d.push(bytes('[1]\ngarbage\n[2]\n')), [[1]]);
      const err = d.failure;
      assert.ok(err instanceof RemoteProtocolError && err.code === 'ERR_SB_INVALID_JSON' && err.input === 'garbage');
      assert.throws(() => d.push(bytes('[3]\n')), { code: 'ERR_SB_INVALID_JSON' });
    });

    it('rejects a partial line over maxMessageBytes before buffering it', () => {
      const d = new LineDecoder(10);
      d.push(bytes('[1,2,3'));
      assert.throws(
        () => d.push(bytes(',4,5,6')),
        (err: unknown) => err instanceof RemoteProtocolError && err.code === 'ERR_SB_MESSAGE_TOO_LARGE' && err.closeCode === 1009,
      );
    });

    it('rejects a complete line over maxMessageBytes', () => {
      const d = new LineDecoder(10);
      assert.throws(() => d.push(bytes('[1]\n[11111111111]\n')), { code: 'ERR_SB_MESSAGE_TOO_LARGE' });
    });

    it('accepts a line of exactly maxMessageBytes', () => {
      const d = new LineDecoder(5);
      assert.deepEqual(d.push(bytes('[123]\n')), [[123]]);
    });
  });

  describe('end()', () => {
    it('parses a last line without a newline', () => {
      const d = new LineDecoder(1024);
      d.push(bytes('[1]\n[2]'));
      assert.deepEqual(d.end(), [[2]]);
      assert.deepEqual(d.end(), []);
    });
  });
});

describe('encodeLine()', () => {
  it('writes exactly JSON.stringify plus one newline', () => {
    assert.equal(encodeLine('SYNC'), '"SYNC"\n');
    assert.equal(encodeLine([['k', 'v'], 1700000000000.001, 'A']), '[["k","v"],1700000000000.001,"A"]\n');
  });
});

describe('readMessage()', () => {
  it('classifies headers, updates, SYNC and ignores other values', () => {
    assert.equal(readMessage({ id: 'A', clock: {} }, 10).type, MessageType.HEADER);
    assert.equal(readMessage([['k', 1], 5, 'A'], 10).type, MessageType.UPDATE);
    assert.equal(readMessage('SYNC', 10).type, MessageType.SYNC);
    for (const value of [null, 5, true, 'other']) assert.equal(readMessage(value, 10).type, MessageType.IGNORED);
  });

  it('reads a reset with its clock and collected horizon; collected is optional; both are checked like clocks', () => {
    const plain = (value: unknown) => JSON.parse(JSON.stringify(value));
    assert.deepEqual(plain(readMessage({ reset: { clock: { A: 5 }, collected: { A: 3 } } }, 10)), {
      type: MessageType.RESET,
      clock: { A: 5 },
      collected: { A: 3 },
    });
    assert.deepEqual(plain(readMessage({ reset: { clock: { A: 5 } } }, 10)), { type: MessageType.RESET, clock: { A: 5 }, collected: {} });
    assert.throws(() => readMessage({ reset: { clock: { A: 5 }, collected: { A: 'x' } } }, 10), { code: 'ERR_SB_INVALID_HEADER' });
    assert.throws(() => readMessage({ reset: { clock: {}, collected: { A: 1, B: 2 } } }, 1), { code: 'ERR_SB_TOO_MANY_SOURCES' });
    assert.throws(() => readMessage(JSON.parse('{"reset":{"clock":{},"collected":{"__proto__":1}}}'), 10), {
      code: 'ERR_SB_FORBIDDEN_KEY',
    });
  });

  it('rejects a header without a clock', () => {
    assert.throws(() => readMessage({ id: 'A' }, 10), { code: 'ERR_SB_INVALID_HEADER' });
  });

  it('rejects a header clock with a non-number entry or too many sources', () => {
    assert.throws(() => readMessage({ id: 'A', clock: { B: 'x' } }, 10), { code: 'ERR_SB_INVALID_HEADER' });
    assert.throws(() => readMessage({ id: 'A', clock: { B: 1, C: 2 } }, 1), { code: 'ERR_SB_TOO_MANY_SOURCES' });
  });

  it('rejects a header clock with a "__proto__" source', () => {
    assert.throws(() => readMessage(JSON.parse('{"id":"A","clock":{"__proto__":5}}'), 10), { code: 'ERR_SB_FORBIDDEN_KEY' });
  });

  it('rejects updates of the wrong shape', () => {
    assert.throws(() => readMessage([['k', 1], 5], 10), { code: 'ERR_SB_INVALID_UPDATE' });
    assert.throws(() => readMessage([['k', 1], 5, 7], 10), { code: 'ERR_SB_INVALID_UPDATE' });
    assert.throws(() => readMessage([['k', 1], 5, ''], 10), { code: 'ERR_SB_INVALID_UPDATE' });
    assert.throws(() => readMessage([['k', 1], '5', 'A'], 10), { code: 'ERR_SB_INVALID_TIMESTAMP' });
    assert.throws(() => readMessage([['k', 1], null, 'A'], 10), { code: 'ERR_SB_INVALID_TIMESTAMP' });
    assert.throws(() => readMessage([['k', 1], -1, 'A'], 10), { code: 'ERR_SB_INVALID_TIMESTAMP' });
    assert.throws(() => readMessage([['k', 1], Number.POSITIVE_INFINITY, 'A'], 10), { code: 'ERR_SB_INVALID_TIMESTAMP' });
    assert.throws(() => readMessage([['k', 1], 5, '__proto__'], 10), { code: 'ERR_SB_FORBIDDEN_KEY' });
  });
});

describe('LineDecoder with text chunks', () => {
  it('splits text lines across chunks, mixed with bytes', () => {
    const d = new LineDecoder(1024);
    assert.deepEqual(d.push('[1]\n[2'), [[1]]);
    assert.deepEqual(d.push(bytes(',3]\n"h\u00e9')), [[2, 3]]);
    assert.deepEqual(d.push('llo"\n'), ['h\u00e9llo']);
    assert.deepEqual(d.push('[4'), []);
    assert.deepEqual(d.push(bytes(']\n')), [[4]]);
    assert.deepEqual(d.push('[5]'), []);
    assert.deepEqual(d.end(), [[5]]);
  });

  it('measures text lines in UTF-8 bytes against maxMessageBytes', () => {
    const ok = new LineDecoder(8);
    assert.deepEqual(ok.push('"\u00e9\u00e9\u00e9"\n'), ['\u00e9\u00e9\u00e9']); // 8 bytes
    const tooLong = new LineDecoder(8);
    assert.deepEqual(tooLong.push('"\u00e9\u00e9\u00e9\u00e9"\n'), []); // 10 bytes
    assert.equal(tooLong.failure?.code, 'ERR_SB_MESSAGE_TOO_LARGE');
    const partial = new LineDecoder(8);
    assert.throws(() => partial.push('"\u20ac\u20ac\u20ac'), { code: 'ERR_SB_MESSAGE_TOO_LARGE' }); // 10 bytes, no newline yet
  });
});
