/**
 * PeerConnection, PeerPool and ReconnectingPeer over an in-memory transport pair (no sockets):
 * replication, the keep-alive line, the timeouts, a truncated last line, the relay delay, the
 * authorize hook, the cap, and the reconnect loop.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isScuttlebuttError, Model } from '../../src/index.ts';
import {
  KEEP_ALIVE_LINE,
  PeerConnection,
  PeerPool,
  ReconnectingPeer,
  type Transport,
  type TransportHandlers,
} from '../../src/net/index.ts';
import { sleep, until } from '../helpers/e2e.ts';

/** One end of an in-memory link: records what was sent, delivers to the other end on a macrotask. */
class MemoryTransport implements Transport {
  readonly kind = 'memory';
  readonly remoteAddress: string;
  readonly sent: string[] = [];
  other: MemoryTransport | null = null;
  handlers: TransportHandlers | null = null;
  closed = false;
  /** When false, sent data is kept instead of delivered, and send() reports backpressure. */
  flowing = true;
  constructor(name: string) {
    this.remoteAddress = name;
  }
  get bufferedAmount(): number {
    return 0;
  }
  open(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }
  send(chunk: string): boolean {
    this.sent.push(chunk);
    if (!this.flowing) return false;
    const other = this.other;
    setImmediate(() => other?.handlers?.onData(chunk));
    return true;
  }
  end(): void {
    const other = this.other;
    setImmediate(() => {
      other?.handlers?.onEnd();
      this.closeWith(null);
      other?.closeWith(null);
    });
  }
  destroy(): void {
    this.closeWith(null);
    const other = this.other;
    setImmediate(() => other?.closeWith(Object.assign(new Error('reset'), { code: 'ECONNRESET' })));
  }
  closeWith(error: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.onClose(error);
  }
  /** Lines sent so far. */
  lines(): string[] {
    return this.sent.join('').split('\n').filter(Boolean);
  }
}

function pair(): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport('a');
  const b = new MemoryTransport('b');
  a.other = b;
  b.other = a;
  return [a, b];
}

function link(a: Model, b: Model, optionsA = {}, optionsB = {}): [PeerConnection, PeerConnection] {
  const [ta, tb] = pair();
  const ca = new PeerConnection(a, ta, optionsA);
  const cb = new PeerConnection(b, tb, optionsB);
  ca.start();
  cb.start();
  return [ca, cb];
}

describe('PeerConnection', () => {
  it('replicates history and live updates both ways and becomes live', async () => {
    const a = new Model('A');
    const b = new Model('B');
    a.set('x', 1);
    const [ca, cb] = link(a, b);
    await until(() => ca.state === 'live' && cb.state === 'live', 'live');
    assert.equal(b.get('x'), 1);
    b.set('y', 2);
    await until(() => a.get('y') === 2, 'live update');
    assert.equal(ca.stats.updatesIn, 1);
    assert.equal(ca.stats.updatesOut, 1);
    ca.close();
    await until(() => ca.state === 'closed' && cb.state === 'closed', 'closed');
    assert.equal(ca.error, null);
    assert.equal(cb.error, null);
  });

  it('sends the keep-alive line "0" on a quiet link, never before the header', async () => {
    const a = new Model('A');
    const [ca] = link(a, new Model('B'), { keepAliveMs: 20 });
    await until(() => ca.state === 'live', 'live');
    await sleep(120);
    const lines = (ca.transport as MemoryTransport).lines();
    assert.equal(JSON.parse(lines[0] as string).id, 'A');
    assert.ok(lines.filter((l) => `${l}\n` === KEEP_ALIVE_LINE).length >= 2, `keep-alives: ${lines}`);
    ca.destroy();
  });

  it('closes with ERR_SB_IDLE_TIMEOUT when nothing arrives, ERR_SB_HANDSHAKE_TIMEOUT without a header', async () => {
    const [t1] = pair(); // the other end never answers
    const idle = new PeerConnection(new Model('A'), t1, { idleTimeoutMs: 40, handshakeTimeoutMs: 10_000 });
    idle.start();
    await until(() => idle.state === 'closed', 'idle close');
    assert.ok(isScuttlebuttError(idle.error) && idle.error.code === 'ERR_SB_IDLE_TIMEOUT');
    const [t2] = pair();
    const mute = new PeerConnection(new Model('A'), t2, { handshakeTimeoutMs: 40 });
    mute.start();
    await until(() => mute.state === 'closed', 'handshake close');
    assert.ok(isScuttlebuttError(mute.error) && mute.error.code === 'ERR_SB_HANDSHAKE_TIMEOUT');
  });

  it('closes with ERR_SB_DRAIN_TIMEOUT when output stays blocked', async () => {
    const a = new Model('A');
    const [ta] = pair();
    ta.flowing = false;
    const c = new PeerConnection(a, ta, { drainTimeoutMs: 40 });
    c.start();
    await until(() => c.state === 'closed', 'drain close');
    assert.ok(isScuttlebuttError(c.error) && c.error.code === 'ERR_SB_DRAIN_TIMEOUT');
  });

  it('reports a peer that ends in the middle of a line as ERR_SB_CONNECTION_LOST, not as bad JSON', async () => {
    const a = new Model('A');
    const [ta] = pair();
    const c = new PeerConnection(a, ta);
    c.start();
    ta.handlers?.onData(`${JSON.stringify({ id: 'P', clock: {} })}\n[["k",1],`);
    ta.handlers?.onEnd();
    assert.equal(c.state, 'closed');
    assert.ok(isScuttlebuttError(c.error) && c.error.code === 'ERR_SB_CONNECTION_LOST');
  });

  it('reports a peer that leaves before the sync completed as ERR_SB_CONNECTION_LOST', async () => {
    const a = new Model('A');
    const [ta] = pair();
    const c = new PeerConnection(a, ta);
    c.start();
    ta.handlers?.onData(`${JSON.stringify({ id: 'P', clock: {} })}\n`);
    ta.handlers?.onClose(null);
    assert.ok(isScuttlebuttError(c.error) && c.error.code === 'ERR_SB_CONNECTION_LOST');
  });

  it('holds back an update with relayDelayMs, and drops it if the peer sends it meanwhile', async () => {
    const hub = new Model('HUB');
    const other = new Model('OTHER');
    const [held, far] = link(hub, other, { relayDelayMs: (_u: unknown, from: unknown) => (from === undefined ? 0 : 60) });
    await until(() => held.state === 'live' && far.state === 'live', 'live');
    // An update the hub receives from elsewhere (a third connection) is held back 60 ms ...
    const third = { offerUpdate: () => {} };
    const update: [[string, number], number, string] = [['relayed', 1], Date.now(), 'ELSEWHERE'];
    hub.receiveUpdate(update, third);
    await sleep(20);
    assert.equal(other.get('relayed'), undefined, 'not yet');
    // ... and the far side gets it by another path meanwhile and sends it: the hub then sends nothing.
    other.receiveUpdate(update);
    await sleep(80);
    assert.equal(held.stats.updatesOut, 0);
    assert.equal(held.stats.updatesIn, 1);
    // A local write is not held back.
    hub.set('local', 1);
    await until(() => other.get('local') === 1, 'the local write');
  });

  it('keeps the order of a source: an update not held back waits behind a held-back one of its source', async () => {
    const hub = new Model('HUB');
    const other = new Model('OTHER');
    const relay = { offerUpdate: () => {} };
    const client = { offerUpdate: () => {} };
    const [held, far] = link(hub, other, { relayDelayMs: (_u: unknown, from: unknown) => (from === relay ? 40 : 0) });
    await until(() => held.state === 'live' && far.state === 'live', 'live');
    const t = Date.now();
    hub.receiveUpdate([['first', 1], t, 'S'], relay); // held back 40 ms
    hub.receiveUpdate([['second', 2], t + 1, 'S'], client); // not a relay, but must not overtake
    hub.receiveUpdate([['other source', 3], t + 2, 'T'], client); // another source: goes at once
    await until(() => other.get('other source') === 3, 'the other source at once');
    assert.equal(other.get('second'), undefined, 'not before the first of its source');
    await until(() => other.get('first') === 1 && other.get('second') === 2, 'both, in order');
  });
});

describe('PeerPool', () => {
  it('applies the rights from authorize: a read-only peer cannot write', async () => {
    const a = new Model('A');
    a.set('visible', 1);
    const pool = new PeerPool(a, { authorize: (peer) => (peer.remoteAddress === 'b' ? { read: true, write: false } : false) });
    assert.equal((pool.admit({ transport: 'memory', remoteAddress: 'x' }) as { code?: string }).code, 'ERR_SB_UNAUTHORIZED');
    const rights = pool.admit({ transport: 'memory', remoteAddress: 'b' });
    assert.deepEqual(rights, { read: true, write: false });
    const [ta, tb] = pair();
    pool.add(ta, rights as { read: boolean; write: boolean });
    const b = new Model('B');
    b.set('attempt', 'write');
    new PeerConnection(b, tb).start();
    await until(() => b.get('visible') === 1, 'read');
    await sleep(20);
    assert.equal(a.get('attempt'), undefined, 'write ignored');
    await pool.close();
  });

  it('refuses beyond maxPeers and counts refusals by code', () => {
    const pool = new PeerPool(new Model('A'), { maxPeers: 1 });
    const [ta] = pair();
    pool.add(ta);
    const refusal = pool.admit({ transport: 'memory', remoteAddress: 'y' });
    assert.equal((refusal as { code?: string }).code, 'ERR_SB_TOO_MANY_PEERS');
    assert.equal(pool.totals.rejected.ERR_SB_TOO_MANY_PEERS, 1);
    assert.throws(() => new PeerPool(new Model('A'), { maxPeers: 0 }), RangeError);
  });
});

describe('ReconnectingPeer', () => {
  it('dials again after failures, with growing delays, then closes cleanly', async () => {
    const a = new Model('A');
    let dials = 0;
    const peer = new ReconnectingPeer(
      new Model('B'),
      async () => {
        dials++;
        if (dials < 3) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
        const [ta, tb] = pair();
        new PeerConnection(a, tb).start();
        return ta;
      },
      { initialDelayMs: 5, maxDelayMs: 20, random: () => 1 },
    );
    const delays: number[] = [];
    peer.on('retry', (info: { delayMs: number }) => delays.push(info.delayMs));
    peer.start();
    await peer.whenLive();
    assert.equal(dials, 3);
    assert.deepEqual(delays, [5, 10]);
    await peer.close();
    assert.equal(peer.state, 'closed');
  });

  it('stays closed when close() comes before the link opens', async () => {
    let dials = 0;
    const peer = new ReconnectingPeer(new Model('B'), async () => {
      dials++;
      return pair()[0];
    });
    const closed = new Promise<void>((resolve) => peer.once('connection', () => resolve(peer.close())));
    peer.start();
    await closed;
    await sleep(20);
    assert.equal(peer.state, 'closed');
    assert.equal(dials, 1);
  });

  it('stays closed when the link completes its sync while close() is flushing it', async () => {
    let dials = 0;
    let link: MemoryTransport | null = null;
    const peer = new ReconnectingPeer(
      new Model('B'),
      async () => {
        dials++;
        link = pair()[0];
        return link;
      },
      { initialDelayMs: 5 },
    );
    peer.start();
    await until(() => link?.handlers != null, 'the link open');
    const ours = link as unknown as MemoryTransport;
    ours.handlers?.onData(`${JSON.stringify({ id: 'SERVER', clock: {} })}\n`); // we replay, send "SYNC"
    const closing = peer.close();
    ours.handlers?.onData('"SYNC"\n'); // the server's "SYNC" arrives during the close: synced now
    ours.handlers?.onClose(null);
    await closing;
    await sleep(20);
    assert.equal(peer.state, 'closed');
    assert.equal(dials, 1);
  });

  it('gives up at once on ERR_SB_UNAUTHORIZED', async () => {
    const { createError } = await import('../../src/errors.ts');
    const peer = new ReconnectingPeer(new Model('B'), async () => {
      throw createError('ERR_SB_UNAUTHORIZED', 'no');
    }).start();
    await assert.rejects(peer.whenLive(), (e: unknown) => isScuttlebuttError(e) && e.code === 'ERR_SB_UNAUTHORIZED');
    assert.equal(peer.state, 'closed');
  });
});
