/**
 * E2E: `listen` and `connect` over real TCP on 127.0.0.1 (port 0): replication both ways, states
 * and progress, reconnect after the server restarts, dead-peer detection, keep-alives, and bad
 * input (HTTP on the TCP port, silent sockets, connect floods, slow readers, TLS).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { isScuttlebuttError, Model } from '../../src/index.ts';
import { connect, listen, type PeerState, type SyncProgress } from '../../src/net/index.ts';
import { hasOpenssl, MemoryLogger, makeTestCertificate, sleep, teardown, tempDir, until, within } from '../helpers/e2e.ts';

/** A raw socket to a server, closed at teardown. */
async function rawSocket(td: ReturnType<typeof teardown>, port: number): Promise<Socket> {
  const socket = td.add(netConnect({ host: '127.0.0.1', port }), (s) => s.destroy());
  socket.on('error', () => {});
  socket.resume(); // flowing, so that 'close' follows the server's end (a test may pause it)
  await once(socket, 'connect');
  return socket;
}

describe('net over TCP', () => {
  it('replicates both ways, reports connecting → syncing → live and the sync progress', async (t) => {
    const td = teardown(t);
    const a = new Model('A');
    const b = new Model('B');
    for (let i = 0; i < 500; i++) a.set(`k${i}`, i);
    const server = td.add(await listen(a), (s) => s.close());
    const states: PeerState[] = ['connecting'];
    const progress: SyncProgress[] = [];
    const peer = connect(b, { port: server.port });
    td.add(peer, (p) => p.close());
    peer.on('state', (s: PeerState) => states.push(s));
    peer.on('progress', (p: SyncProgress) => progress.push(p));
    await within(peer.whenLive(), 'live');
    assert.deepEqual(states, ['connecting', 'syncing', 'live']);
    assert.equal(b.get('k499'), 499);
    assert.equal(progress.at(-1)?.fraction, 1);
    assert.equal(progress.at(-1)?.updates, 500);
    b.set('fromB', true);
    a.set('fromA', true);
    await until(() => a.get('fromB') === true && b.get('fromA') === true, 'live updates both ways');
    await peer.close();
    assert.equal(peer.state, 'closed');
  });

  it('a peer back after a deletion was collected gets a reset over TCP, and passes it on to its own live peer', async (t) => {
    const td = teardown(t);
    let now = 1_000_000;
    const clock = () => now;
    const [a, b, c] = ['A', 'B', 'C'].map((id) => new Model({ id, now: clock, tombstoneTtlMs: 1000 })) as [Model, Model, Model];
    a.set('gone', 'v');
    a.set('stays', 1);
    const serverA = td.add(await listen(a), (s) => s.close());
    const serverB = td.add(await listen(b), (s) => s.close());
    const bToA = connect(b, { port: serverA.port });
    td.add(connect(c, { port: serverB.port }), (p) => p.close());
    await until(() => c.get('gone') === 'v', 'C has the key through B');
    await bToA.close();
    now += 10;
    a.set('gone', null);
    now += 5000;
    assert.equal(a.collectTombstones(), 1);
    td.add(connect(b, { port: serverA.port }), (p) => p.close());
    await until(() => b.get('gone') === undefined && c.get('gone') === undefined, 'B, then C over its live link, drop the key');
    assert.equal(a.get('gone'), undefined);
    assert.deepEqual([b.toJSON(), c.toJSON()], [a.toJSON(), a.toJSON()]);
  });

  it('reconnects with backoff when the server goes away, and converges with what changed meanwhile', async (t) => {
    const td = teardown(t);
    const a = new Model('A');
    const b = new Model('B');
    const first = await listen(a);
    const port = first.port;
    const peer = td.add(connect(b, { port, initialDelayMs: 20, maxDelayMs: 100 }), (p) => p.close());
    const retries: number[] = [];
    peer.on('retry', (info: { delayMs: number }) => retries.push(info.delayMs));
    await within(peer.whenLive(), 'first live');
    await first.close();
    await until(() => peer.state === 'connecting', 'the drop to be noticed');
    b.set('whileApart', 'b');
    a.set('alsoWhileApart', 'a');
    await sleep(150); // a few failed dials
    const second = td.add(await listen(a, { port }), (s) => s.close());
    await until(() => peer.state === 'live', 'live again');
    await until(() => a.get('whileApart') === 'b' && b.get('alsoWhileApart') === 'a', 'convergence');
    assert.ok(retries.length >= 2, `several retries (${retries.length})`);
    assert.ok(
      retries.every((d) => d >= 10 && d <= 100),
      `delays within [initial/2, max]: ${retries}`,
    );
    assert.equal(second.pool.size, 1);
  });

  it('detects a dead server with the idle timeout and reconnects', async (t) => {
    const td = teardown(t);
    // A "server" that accepts and never says anything: a hung peer.
    const sockets = new Set<Socket>();
    const mute = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    mute.listen(0, '127.0.0.1');
    await once(mute, 'listening');
    td.add(mute, (m) => {
      for (const s of sockets) s.destroy();
      m.close();
    });
    const peer = td.add(
      connect(new Model('B'), {
        port: (mute.address() as { port: number }).port,
        idleTimeoutMs: 150,
        handshakeTimeoutMs: 10_000,
        initialDelayMs: 10,
      }),
      (p) => p.close(),
    );
    const [error] = (await within(once(peer, 'disconnect'), 'disconnect')) as [Error];
    assert.ok(isScuttlebuttError(error));
    assert.equal(error.code, 'ERR_SB_IDLE_TIMEOUT');
    await within(once(peer, 'retry'), 'a retry');
  });

  it('keeps a quiet link up with keep-alive lines shorter than the idle timeout', async (t) => {
    const td = teardown(t);
    const server = td.add(await listen(new Model('A'), { keepAliveMs: 30 }), (s) => s.close());
    const peer = td.add(connect(new Model('B'), { port: server.port, keepAliveMs: 30, idleTimeoutMs: 600 }), (p) => p.close());
    const disconnects: unknown[] = [];
    peer.on('disconnect', (e: unknown) => disconnects.push(e));
    await within(peer.whenLive(), 'live');
    await sleep(1500); // 50 keep-alive periods, 2.5 idle timeouts
    assert.deepEqual(disconnects, []);
    assert.equal(peer.state, 'live');
  });

  it('closes a peer that speaks HTTP to the TCP port with one log line, and keeps serving others', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const a = new Model('A');
    a.set('k', 1);
    const server = td.add(await listen(a, { logger }), (s) => s.close());
    const http = await rawSocket(td, server.port);
    http.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await within(once(http, 'close'), 'the HTTP client to be closed');
    await until(() => logger.find('peer closed with an error').length === 1, 'the log line');
    const [line] = logger.find('peer closed with an error');
    assert.equal(line?.code, 'ERR_SB_INVALID_JSON');
    assert.match(String(line?.peer), /^tcp:127\.0\.0\.1:\d+$/);
    const b = new Model('B');
    const peer = td.add(connect(b, { port: server.port }), (p) => p.close());
    await within(peer.whenLive(), 'a good peer');
    assert.equal(b.get('k'), 1);
  });

  it('drops a connection that sends no header within handshakeTimeoutMs', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const server = td.add(await listen(new Model('A'), { logger, handshakeTimeoutMs: 100 }), (s) => s.close());
    const silent = await rawSocket(td, server.port);
    await within(once(silent, 'close'), 'the silent socket to be dropped', 2000);
    await until(() => logger.find('peer closed with an error', { code: 'ERR_SB_HANDSHAKE_TIMEOUT' }).length === 1, 'log line');
  });

  it('refuses connections beyond maxPeers, with rate-limited log lines, and serves the admitted ones', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const a = new Model('A');
    const server = td.add(await listen(a, { logger, maxPeers: 3 }), (s) => s.close());
    const peers = [new Model('B1'), new Model('B2'), new Model('B3')].map((m) =>
      td.add(connect(m, { port: server.port }), (p) => p.close()),
    );
    await within(Promise.all(peers.map((p) => p.whenLive())), 'three peers live');
    const flood = await Promise.all(Array.from({ length: 50 }, () => rawSocket(td, server.port)));
    await within(Promise.all(flood.map((s) => (s.closed ? Promise.resolve() : once(s, 'close')))), 'the flood to be refused');
    assert.equal(server.pool.size, 3);
    assert.equal(server.pool.totals.rejected.ERR_SB_TOO_MANY_PEERS, 50);
    const lines = logger.find('connection refused');
    assert.ok(lines.length >= 1 && lines.length <= 2, `one line per 5 s, not 50 (${lines.length})`);
    a.set('after', 'flood');
    await until(() => peers.every((p) => p.state === 'live'), 'peers unaffected');
  });

  it('drops a reader that never drains, with bounded memory, and nobody else notices', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const a = new Model('A');
    const big = 'x'.repeat(10_000);
    for (let i = 0; i < 3000; i++) a.set(`k${i}`, big); // ~30 MB of history
    const server = td.add(await listen(a, { logger, drainTimeoutMs: 300 }), (s) => s.close());
    const slow = await rawSocket(td, server.port);
    slow.pause(); // never reads
    slow.write(`${JSON.stringify({ id: 'SLOW', clock: {} })}\n`);
    const b = new Model('B');
    const good = td.add(connect(b, { port: server.port }), (p) => p.close());
    await within(good.whenLive(), 'a good peer, meanwhile');
    assert.equal(b.size, 3000);
    let maxQueued = 0;
    const sample = setInterval(() => {
      for (const c of server.pool.connections()) if (c.remoteHeader?.id === 'SLOW') maxQueued = Math.max(maxQueued, c.stats.queuedBytes);
    }, 5);
    await until(
      () => logger.find('peer closed with an error', { code: 'ERR_SB_DRAIN_TIMEOUT' }).length === 1,
      'the slow reader to be dropped',
    );
    clearInterval(sample);
    // Bounded: the socket's buffer (one chunk past the 256 KiB mark) plus the session's queue.
    assert.ok(maxQueued < 2 * 1024 * 1024, `queued output stayed bounded (${maxQueued} bytes)`);
    a.set('after', 1);
    await until(() => b.get('after') === 1, 'the good peer still live');
  });

  it('serves and dials TLS', { skip: !hasOpenssl() && 'openssl is not installed' }, async (t) => {
    const td = teardown(t);
    const { key, cert } = makeTestCertificate(tempDir(td));
    const a = new Model('A');
    a.set('secret', 'over tls');
    const server = td.add(await listen(a, { tls: { key, cert } }), (s) => s.close());
    const b = new Model('B');
    const peer = td.add(connect(b, { port: server.port, tls: { ca: cert } }), (p) => p.close());
    await within(peer.whenLive(), 'live over TLS');
    assert.equal(b.get('secret'), 'over tls');
    assert.equal(peer.connection?.transport.kind, 'tls');
  });
});
