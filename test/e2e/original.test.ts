/**
 * E2E: the original `scuttlebutt@5.6.15` and our hub over TCP, both ways: an original client on
 * the hub's raw TCP port (with the hub sending keep-alive lines, which the original must ignore),
 * and a hub process whose `--peer` is an original server. History and live updates cross in both
 * directions; our WebSocket clients of the hub see the original's writes.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { before, describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { connectWebSocket, startHub } from '../../src/net/index.ts';
import { buildCli, HubProcess, MemoryLogger, sleep, type Teardown, teardown, until, within } from '../helpers/e2e.ts';
import { asWire, loadOriginal, type OriginalModel } from '../helpers/interop-original.ts';

const Original = loadOriginal();

/** Pipes a socket to a fresh stream of the original both ways, with the error listeners its README asks for. */
function pipeOriginal(td: Teardown, socket: Socket, model: OriginalModel): { errors: unknown[] } {
  const errors: unknown[] = [];
  const stream = model.createStream();
  stream.on('error', (e: unknown) => {
    errors.push(e);
    socket.destroy();
  });
  socket.on('error', () => stream.destroy());
  socket.pipe(asWire(stream)).pipe(socket);
  td.add(socket, (s) => s.destroy());
  return { errors };
}

/** A WebSocket client model of a hub, live. */
async function wsClient(td: Teardown, url: string): Promise<Model> {
  const model = new Model();
  const peer = td.add(connectWebSocket(model, { url }), (p) => p.close());
  await within(peer.whenLive(), 'our client live');
  return model;
}

describe('the original scuttlebutt 5.6.15 and our hub over TCP', () => {
  before(() => buildCli());

  it('an original client on the hub TCP port replicates both ways, and ignores our keep-alive lines', async (t) => {
    const td = teardown(t);
    const logger = new MemoryLogger();
    const hub = td.add(await startHub({ port: 0, tcpPort: 0, dataDir: null, logger, timeouts: { keepAliveMs: 30 } }), (h) => h.close());
    const ours = await wsClient(td, hub.urls.ws);
    ours.set('fromOurs', { nested: ['é', 1] });
    await until(() => hub.model.get('fromOurs') !== undefined, 'the hub to have our key');

    const orig = new Original.Model('ORIG');
    orig.set('fromOriginalBefore', 1);
    const socket = netConnect({ host: '127.0.0.1', port: hub.tcpPort as number });
    await once(socket, 'connect');
    const { errors } = pipeOriginal(td, socket, orig);
    await until(() => orig.get('fromOurs') !== undefined && ours.get('fromOriginalBefore') === 1, 'history both ways');
    assert.deepEqual(orig.get('fromOurs'), { nested: ['é', 1] });

    await sleep(200); // several keep-alive lines ("0") reach the original
    orig.set('fromOriginalLive', 'live');
    ours.set('fromOursLive', 'live');
    await until(() => orig.get('fromOursLive') === 'live' && ours.get('fromOriginalLive') === 'live', 'live updates both ways');
    assert.deepEqual(errors, [], 'the original emitted no error');
    assert.deepEqual(
      logger.records.filter((r) => r.level === 'warn' || r.level === 'error'),
      [],
    );
    const tcpPeer = [...hub.pool.connections()].find((c) => c.transport.kind === 'tcp');
    assert.equal(tcpPeer?.remoteHeader?.id, 'ORIG');
    assert.equal(tcpPeer?.state, 'live');
  });

  it('a hub process links (--peer) to an original server and replicates both ways', async (t) => {
    const td = teardown(t);
    const orig = new Original.Model('ORIGSERVER');
    orig.set('fromOriginal', 'history');
    const errors: unknown[] = [];
    const server = createServer((socket) => errors.push(...pipeOriginal(td, socket, orig).errors));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    td.add(server, (s) => s.close());
    const port = (server.address() as { port: number }).port;

    const hub = await HubProcess.start(td, ['--memory', '--peer', `127.0.0.1:${port}`]);
    await hub.waitForLog((r) => r.msg === 'mesh peer live', 'the link to the original');
    assert.equal(hub.logs.find((r) => r.msg === 'mesh peer live')?.remoteId, 'ORIGSERVER');
    const ours = await wsClient(td, hub.wsUrl);
    await until(() => ours.get('fromOriginal') === 'history', 'the original history through the hub');
    ours.set('fromOurs', 42);
    await until(() => orig.get('fromOurs') === 42, 'our update at the original, through the hub');
    orig.set('fromOriginalLive', true);
    await until(() => ours.get('fromOriginalLive') === true, 'a live update from the original');
    assert.deepEqual(errors, []);
    assert.equal((await hub.kill('SIGTERM')).code, 0);
  });
});
