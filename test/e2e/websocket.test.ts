/**
 * E2E: the WebSocket server (`ws`) and the Node client over real sockets on 127.0.0.1: the same
 * contract as TCP (messages carry lines of the same protocol), the token (401 before any upgrade,
 * no retry), the message size limit (1009), garbage, a peer that never reads (bufferedAmount),
 * the connection cap (503) and a message without its final newline.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { isScuttlebuttError, Model } from '../../src/index.ts';
import { connectWebSocket, listenWebSocket, type PeerState } from '../../src/net/index.ts';
import { MemoryLogger, sleep, teardown, until, within } from '../helpers/e2e.ts';

/** A raw `ws` client, terminated at teardown; `onMessage` is attached before the opening handshake ends. */
async function rawWs(td: ReturnType<typeof teardown>, url: string, onMessage?: (data: Buffer) => void): Promise<WebSocket> {
  const ws = td.add(new WebSocket(url), (w) => w.terminate());
  ws.on('error', () => {});
  if (onMessage) ws.on('message', onMessage);
  await once(ws, 'open');
  return ws;
}

describe('net over WebSocket', () => {
  it('replicates both ways between the server and the Node client, one or more lines per message', async (t) => {
    const td = teardown(t);
    const a = new Model('A');
    const b = new Model('B');
    for (let i = 0; i < 200; i++) a.set(`k${i}`, { i });
    const server = td.add(await listenWebSocket(a), (s) => s.close());
    const states: PeerState[] = [];
    const peer = td.add(connectWebSocket(b, { url: server.url }), (p) => p.close());
    peer.on('state', (s: PeerState) => states.push(s));
    await within(peer.whenLive(), 'live');
    assert.deepEqual(states, ['syncing', 'live']);
    assert.deepEqual(b.get('k199'), { i: 199 });
    b.set('fromB', 'é → 世界 🎉');
    await until(() => a.get('fromB') === 'é → 世界 🎉', 'live update to the server');
    a.set('fromA', 1);
    await until(() => b.get('fromA') === 1, 'live update to the client');
  });

  it('speaks the TCP protocol inside messages: a raw client gets header, history, "SYNC"; a message without "\\n" is one line', async (t) => {
    const td = teardown(t);
    const a = new Model('A');
    a.set('k', 'v');
    const server = td.add(await listenWebSocket(a), (s) => s.close());
    const lines: unknown[] = [];
    const ws = await rawWs(td, server.url, (data) => {
      for (const line of String(data).split('\n')) if (line !== '') lines.push(JSON.parse(line));
    });
    ws.send(JSON.stringify({ id: 'RAW', clock: {} })); // no trailing newline: still a whole line
    await until(() => lines.includes('SYNC'), '"SYNC"');
    assert.equal((lines[0] as { id: string }).id, 'A');
    assert.deepEqual((lines[1] as unknown[])[0], ['k', 'v']);
    ws.send(`${JSON.stringify([['fromRaw', 1], Date.now(), 'RAW'])}\n"SYNC"\n`);
    await until(() => a.get('fromRaw') === 1, 'the raw update');
  });

  it('refuses a missing or wrong token with 401 before the upgrade; the client gives up with ERR_SB_UNAUTHORIZED', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const server = td.add(await listenWebSocket(new Model('A'), { token: 's3cret', logger }), (s) => s.close());
    for (const token of [undefined, 'wrong']) {
      const peer = connectWebSocket(new Model(), token === undefined ? { url: server.url } : { url: server.url, token });
      const [error] = (await within(once(peer, 'close'), 'the client to give up')) as [Error];
      assert.ok(isScuttlebuttError(error));
      assert.equal(error.code, 'ERR_SB_UNAUTHORIZED');
      assert.equal(peer.state, 'closed');
    }
    const response = await fetch(server.url.replace('ws:', 'http:'), { headers: { Connection: 'Upgrade', Upgrade: 'websocket' } }).catch(
      () => null,
    );
    assert.ok(response === null || response.status !== 101);
    const ok = td.add(connectWebSocket(new Model(), { url: server.url, token: 's3cret' }), (p) => p.close());
    await within(ok.whenLive(), 'live with the token (header)');
    const viaQuery = td.add(connectWebSocket(new Model(), { url: `${server.url}?token=s3cret` }), (p) => p.close());
    await within(viaQuery.whenLive(), 'live with ?token=');
    assert.equal(server.pool.totals.rejected.ERR_SB_UNAUTHORIZED, 2);
  });

  it('closes a message over maxPayloadBytes with 1009 and logs ERR_SB_MESSAGE_TOO_LARGE', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const server = td.add(await listenWebSocket(new Model('A'), { logger, maxPayloadBytes: 64 * 1024 }), (s) => s.close());
    const ws = await rawWs(td, server.url);
    ws.send(`${JSON.stringify({ id: 'BIG', clock: {} })}\n`);
    ws.send(`${JSON.stringify([['k', 'x'.repeat(100_000)], Date.now(), 'BIG'])}\n`);
    const [code] = (await within(once(ws, 'close'), 'close')) as [number];
    assert.equal(code, 1009);
    await until(() => logger.find('peer closed with an error', { code: 'ERR_SB_MESSAGE_TOO_LARGE' }).length === 1, 'the log line');
  });

  it('closes a client that sends garbage with 1008 and one log line', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const server = td.add(await listenWebSocket(new Model('A'), { logger }), (s) => s.close());
    const ws = await rawWs(td, server.url);
    ws.send('\u0000\u00ff not json at all\n');
    const [code, reason] = (await within(once(ws, 'close'), 'close')) as [number, Buffer];
    assert.equal(code, 1008);
    assert.equal(String(reason), 'ERR_SB_INVALID_JSON');
    await until(() => logger.find('peer closed with an error', { code: 'ERR_SB_INVALID_JSON' }).length === 1, 'the log line');
  });

  it('stops sending to a client that never reads (bufferedAmount), then drops it; others carry on', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const a = new Model('A');
    const big = 'y'.repeat(20_000);
    for (let i = 0; i < 2000; i++) a.set(`k${i}`, big); // ~40 MB of history
    const server = td.add(await listenWebSocket(a, { logger, drainTimeoutMs: 300 }), (s) => s.close());
    const ws = await rawWs(td, server.url);
    (ws as unknown as { _socket: { pause(): void } })._socket.pause(); // a client that stops reading
    ws.send(`${JSON.stringify({ id: 'SLOW', clock: {} })}\n`);
    const good = new Model('B');
    const peer = td.add(connectWebSocket(good, { url: server.url }), (p) => p.close());
    await within(peer.whenLive(), 'a good client');
    assert.equal(good.size, 2000);
    await until(() => logger.find('peer closed with an error', { code: 'ERR_SB_DRAIN_TIMEOUT' }).length === 1, 'the slow client dropped');
    const line = logger.find('peer closed with an error', { code: 'ERR_SB_DRAIN_TIMEOUT' })[0];
    assert.ok(Number(line?.updatesOut) < 2000, `the slow client was sent a bounded part of the history (${line?.updatesOut})`);
    a.set('after', 1);
    await until(() => good.get('after') === 1, 'the good client still live');
  });

  it('answers 503 beyond maxPeers', async (t) => {
    const td = teardown(t);
    const server = td.add(await listenWebSocket(new Model('A'), { maxPeers: 1 }), (s) => s.close());
    const first = td.add(connectWebSocket(new Model(), { url: server.url }), (p) => p.close());
    await within(first.whenLive(), 'first');
    const second = td.add(connectWebSocket(new Model(), { url: server.url, initialDelayMs: 10_000 }), (p) => p.close());
    const [info] = (await within(once(second, 'retry'), 'a refusal')) as [{ error: Error }];
    assert.ok(isScuttlebuttError(info.error));
    assert.equal(info.error.code, 'ERR_SB_TOO_MANY_PEERS');
    await sleep(20);
    assert.equal(first.state, 'live');
  });
});
