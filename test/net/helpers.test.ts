/**
 * The small pure pieces of networking, the hub and the CLI: backoff, addresses, the Prometheus
 * writer, the JSON logger, UTF-8 lengths, command-line values and hub URLs, the progress bar.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hubUrl, parseValue, UsageError } from '../../src/cli/_args.ts';
import { renderProgress } from '../../src/cli/progress-bar.ts';
import { MetricsWriter } from '../../src/hub/metrics.ts';
import { utf8Length } from '../../src/net/_utf8.ts';
import { Backoff, createJsonLogger, formatAddress, isLoopback, parseHostPort } from '../../src/net/index.ts';

describe('Backoff', () => {
  it('draws each delay in [d/2, d] with d doubling up to maxDelayMs, and starts over on reset()', () => {
    const low = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
    const high = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => low.next()),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      Array.from({ length: 6 }, () => high.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    high.reset();
    assert.equal(high.next(), 100);
  });

  it('refuses bad delays', () => {
    assert.throws(() => new Backoff({ initialDelayMs: 0 }), RangeError);
    assert.throws(() => new Backoff({ initialDelayMs: 100, maxDelayMs: 50 }), RangeError);
    assert.throws(() => new Backoff({ maxDelayMs: Number.POSITIVE_INFINITY }), RangeError);
  });
});

describe('addresses', () => {
  it('parses HOST:PORT, [v6]:PORT, :PORT and PORT', () => {
    assert.deepEqual(parseHostPort('hub.example:8471'), { host: 'hub.example', port: 8471 });
    assert.deepEqual(parseHostPort('[::1]:8470'), { host: '::1', port: 8470 });
    assert.deepEqual(parseHostPort(':8470'), { host: '127.0.0.1', port: 8470 });
    assert.deepEqual(parseHostPort('8470'), { host: '127.0.0.1', port: 8470 });
    for (const bad of ['host', 'host:', 'host:0', 'host:65536', 'host:12ab', '']) assert.throws(() => parseHostPort(bad), RangeError, bad);
  });

  it('formats IPv6 with brackets and knows loopback', () => {
    assert.equal(formatAddress('::1', 1), '[::1]:1');
    assert.equal(formatAddress('10.0.0.1', 2), '10.0.0.1:2');
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('127.1.2.3'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('10.0.0.1') && !isLoopback('::'));
  });
});

describe('MetricsWriter', () => {
  it('writes HELP, TYPE and samples, escaping label values', () => {
    const text = new MetricsWriter()
      .gauge('sb_peers', 'Open peers.', [{ labels: { peer: 'ws:"a"\\b\nc' }, value: 2 }])
      .counter('sb_total', 'A count.', 7)
      .toString();
    assert.equal(
      text,
      '# HELP sb_peers Open peers.\n# TYPE sb_peers gauge\nsb_peers{peer="ws:\\"a\\"\\\\b\\nc"} 2\n# HELP sb_total A count.\n# TYPE sb_total counter\nsb_total 7\n',
    );
  });

  it('refuses invalid or repeated names', () => {
    assert.throws(() => new MetricsWriter().gauge('bad-name', 'x', 1), RangeError);
    assert.throws(() => new MetricsWriter().gauge('ok', 'x', [{ labels: { 'bad-label': 'v' }, value: 1 }]), RangeError);
    const w = new MetricsWriter().gauge('twice', 'x', 1);
    assert.throws(() => w.gauge('twice', 'x', 1), RangeError);
  });
});

describe('createJsonLogger', () => {
  it('writes one JSON object per line at or above its level, errors as code and message', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ level: 'info', write: (l) => lines.push(l), now: () => 0, base: { service: 'hub' } });
    log.debug('hidden');
    log.warn('peer closed', { peer: 'tcp:1.2.3.4:5', error: Object.assign(new Error('boom'), { code: 'ECONNRESET' }) });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith('\n'));
    assert.deepEqual(JSON.parse(lines[0] as string), {
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'peer closed',
      service: 'hub',
      peer: 'tcp:1.2.3.4:5',
      error: { code: 'ECONNRESET', message: 'boom' },
    });
    assert.throws(() => createJsonLogger({ level: 'loud' as 'info' }), RangeError);
  });
});

describe('utf8Length', () => {
  it('equals Buffer.byteLength for any string, lone surrogates included', () => {
    // Random strings over every UTF-16 code unit class: ASCII, 2-byte, 3-byte, surrogates (paired or not).
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ranges = [0x80, 0x800, 0xd800, 0xdc00, 0xe000, 0x10000];
    for (let run = 0; run < 2000; run++) {
      let s = '';
      for (let i = random(40); i > 0; i--) {
        const r = random(ranges.length);
        const lo = r === 0 ? 0 : (ranges[r - 1] as number);
        s += String.fromCharCode(lo + random((ranges[r] as number) - lo));
      }
      assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
    }
    assert.equal(utf8Length('\ud800'), 3);
    assert.equal(utf8Length('🎉'), 4);
  });
});

describe('CLI helpers', () => {
  it('takes VALUE as JSON when it parses, else as a string', () => {
    assert.equal(parseValue('42'), 42);
    assert.equal(parseValue('null'), null);
    assert.deepEqual(parseValue('{"a":[1]}'), { a: [1] });
    assert.equal(parseValue('"quoted"'), 'quoted');
    assert.equal(parseValue('hello world'), 'hello world');
    assert.equal(parseValue('{broken'), '{broken');
  });

  it('turns --hub into the WebSocket URL', () => {
    assert.equal(hubUrl('127.0.0.1:8470'), 'ws://127.0.0.1:8470/ws');
    assert.equal(hubUrl('[::1]:8470'), 'ws://[::1]:8470/ws');
    assert.equal(hubUrl('https://hub.example'), 'wss://hub.example/ws');
    assert.equal(hubUrl('ws://hub.example:9/custom'), 'ws://hub.example:9/custom');
    assert.throws(() => hubUrl('nowhere'), UsageError);
  });

  it('draws the progress bar', () => {
    assert.equal(
      renderProgress({ updates: 1200, bytes: 1_500_000, fraction: 0.5 }),
      'syncing [############............]  50%  1200 updates  1.5 MB',
    );
  });
});
