/**
 * E2E faults: a hub (a process, with its data on disk) is killed with SIGKILL while clients and
 * another hub are in the middle of their initial sync (over slow links), then restarted. The hub
 * peer that lost it mid-sync logs one line naming the peer and the error code; every client
 * reconnects by itself, and everyone converges with nothing lost: not what the hub had stored,
 * not what the clients wrote while it was down.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { connect, connectWebSocket, type ReconnectingPeer, type SyncProgress } from '../../src/net/index.ts';
import { persist } from '../../src/persist/index.ts';
import { buildCli, HubProcess, LinkProxy, metricValue, teardown, tempDir, until, untilAsync, WAIT_MS, within } from '../helpers/e2e.ts';

const KEYS = 10_000;
const VALUE = 'v'.repeat(1000); // ~10 MB of history: a sync that takes a while

describe('faults', () => {
  before(() => buildCli());

  it('a hub killed mid-sync and restarted: clients and a peer hub reconnect and converge, nothing lost', async (t) => {
    const td = teardown(t);
    const data = tempDir(td);
    // The hub's data, written through the same persistence the hub uses.
    const seed = new Model('SEED');
    const store = persist(seed, join(data, 'model.jsonl'));
    await store.ready;
    for (let i = 0; i < KEYS; i++) seed.set(`k${i}`, VALUE);
    await store.close();

    const first = await HubProcess.start(td, ['--data', data]);
    // Everyone reaches the hub through a proxy: a slow link (2 MB/s) makes the sync last seconds,
    // and after the restart the proxies point at the new ports.
    const [tcpLink, wsLink, hubLink] = await Promise.all([
      LinkProxy.start(td, first.tcpPort),
      LinkProxy.start(td, first.httpPort),
      LinkProxy.start(td, first.tcpPort),
    ]);
    for (const link of [tcpLink, wsLink, hubLink]) link.backwardBytesPerSecond = 2_000_000;

    // Two clients (TCP and WebSocket) and a second hub start syncing from empty.
    const tcpClient = new Model('TCP');
    const wsClient = new Model('WS');
    const backoff = { initialDelayMs: 50, maxDelayMs: 200 };
    const peers: ReconnectingPeer[] = [
      td.add(connect(tcpClient, { port: tcpLink.port, ...backoff }), (p) => p.close()),
      td.add(connectWebSocket(wsClient, { url: `ws://127.0.0.1:${wsLink.port}/ws`, ...backoff }), (p) => p.close()),
    ];
    const other = await HubProcess.start(td, ['--memory', '--peer', `127.0.0.1:${hubLink.port}`]);
    await within(
      Promise.all(
        peers.map(
          (p) =>
            new Promise<void>((resolve) => {
              p.on('progress', (progress: SyncProgress) => {
                if (progress.updates > 0 && progress.fraction < 1) resolve();
              });
            }),
        ),
      ),
      'both clients mid-sync',
    );
    await until(() => hubLink.backward.length > 0, 'the peer hub mid-sync');
    const killed = await first.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(tcpClient.size < KEYS && wsClient.size < KEYS, `killed mid-sync (${tcpClient.size}, ${wsClient.size} of ${KEYS})`);
    assert.ok(hubLink.backward.length < KEYS, `the peer hub was mid-sync too (${hubLink.backward.length} of ${KEYS})`);

    // The peer hub says what happened, once, with the peer and the code.
    const line = await other.waitForLog((r) => r.msg === 'mesh peer closed with an error', 'the mesh peer log line');
    assert.equal(line.peer, `127.0.0.1:${hubLink.port}`);
    assert.equal(line.code, 'ERR_SB_CONNECTION_LOST');
    await until(() => peers.every((p) => p.state === 'connecting'), 'the clients to notice');

    // Writes while the hub is down.
    tcpClient.set('writtenWhileDown', 'tcp');
    wsClient.set('writtenWhileDown2', 'ws');

    const second = await HubProcess.start(td, ['--data', data]);
    for (const [link, port] of [
      [tcpLink, second.tcpPort],
      [wsLink, second.httpPort],
      [hubLink, second.tcpPort],
    ] as const) {
      link.setTarget(port);
      link.backwardBytesPerSecond = Number.POSITIVE_INFINITY;
    }
    await within(Promise.all(peers.map((p) => p.whenLive())), 'the clients live again');
    const total = KEYS + 2;
    await until(() => tcpClient.size === total && wsClient.size === total, 'the clients to converge', WAIT_MS * 2);
    assert.equal(tcpClient.get(`k${KEYS - 1}`), VALUE);
    assert.equal(wsClient.get('writtenWhileDown'), 'tcp');
    assert.equal(tcpClient.get('writtenWhileDown2'), 'ws');
    for (const hub of [second, other]) {
      await untilAsync(
        async () => metricValue(await (await hub.fetch('/metrics')).text(), 'scuttlebutt_model_keys') === total,
        `hub ${hub.id} to hold every key`,
        WAIT_MS * 2,
      );
    }
    assert.ok(
      other.logs.some((r) => r.msg === 'mesh peer live'),
      'the peer hub linked again',
    );
  });
});
