/**
 * E2E: three hubs (processes) linked with `--peer`, in a line and in a ring, a WebSocket client
 * on each: every client converges, and a counting proxy on every hub-to-hub link records each
 * update that crosses it. In a line every update crosses every link exactly once (never echoed
 * back). In a ring every update crosses each link at most once, in one direction: without the
 * hubs' relay delay, the two hubs that got an update from the third would send it to each other
 * at the same moment (each lacks proof that the other has it), so it would cross their link
 * twice; the test also shows that, with `--relay-delay-ms 0`.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { connectWebSocket } from '../../src/net/index.ts';
import { buildCli, type Crossings, HubProcess, LinkProxy, sleep, type Teardown, teardown, until, within } from '../helpers/e2e.ts';

const UPDATES_PER_CLIENT = 20;

/** A WebSocket client model on a hub, live. */
async function client(td: Teardown, hub: HubProcess, id: string): Promise<Model> {
  const model = new Model(id);
  const peer = td.add(connectWebSocket(model, { url: hub.wsUrl }), (p) => p.close());
  await within(peer.whenLive(), `client ${id} live`);
  return model;
}

/** Each client writes its own keys; all must converge to every key. */
async function writeAndConverge(models: Model[]): Promise<void> {
  for (let i = 0; i < UPDATES_PER_CLIENT; i++) for (const m of models) m.set(`${m.id}-${i}`, i);
  const total = UPDATES_PER_CLIENT * models.length;
  await until(() => models.every((m) => m.size === total), `all ${models.length} clients to hold ${total} keys`);
  const expected = JSON.stringify(sorted(models[0]?.toJSON() ?? {}));
  for (const m of models) assert.equal(JSON.stringify(sorted(m.toJSON())), expected, `${m.id} converged`);
}

function sorted(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function duplicates(list: Crossings): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const x of list) {
    if (seen.has(x)) twice.push(x);
    seen.add(x);
  }
  return twice;
}

/** Waits until every hub logged its mesh links live. */
async function meshLive(hubs: readonly HubProcess[], links: number): Promise<void> {
  await until(() => hubs.reduce((n, h) => n + h.logs.filter((r) => r.msg === 'mesh peer live').length, 0) >= links, 'the mesh to be live');
}

describe('hubs in a mesh', () => {
  before(() => buildCli());

  it('in a line A–B–C: clients converge and every update crosses every link exactly once', async (t) => {
    const td = teardown(t);
    const a = await HubProcess.start(td, ['--memory']);
    const ab = await LinkProxy.start(td, a.tcpPort);
    const b = await HubProcess.start(td, ['--memory', '--peer', `127.0.0.1:${ab.port}`]);
    const bc = await LinkProxy.start(td, b.tcpPort);
    const c = await HubProcess.start(td, ['--memory', '--peer', `127.0.0.1:${bc.port}`]);
    await meshLive([b, c], 2);
    const models = await Promise.all([client(td, a, 'CA'), client(td, b, 'CB'), client(td, c, 'CC')]);
    await writeAndConverge(models);
    const total = UPDATES_PER_CLIENT * 3;
    for (const [name, link] of [
      ['A–B', ab],
      ['B–C', bc],
    ] as const) {
      const both = [...link.forward, ...link.backward];
      assert.deepEqual(duplicates(both), [], `${name}: no update crossed twice`);
      assert.equal(both.length, total, `${name}: every update crossed once`);
    }
    // Direction check: A's client's updates go A→B (backward on the B-dialed proxy), never back.
    assert.equal(ab.backward.filter((x) => x.endsWith(':CA')).length, UPDATES_PER_CLIENT);
    assert.equal(ab.forward.filter((x) => x.endsWith(':CA')).length, 0);
    for (const hub of [a, b, c])
      assert.deepEqual(
        hub.logs.filter((r) => r.level === 'error'),
        [],
        'no error logged',
      );
  });

  /** Starts the ring A→B→C→A with proxies on its links and a client per hub; returns the links. */
  async function ring(td: Teardown, extra: readonly string[]): Promise<{ hubs: HubProcess[]; links: [string, LinkProxy][] }> {
    // The ring's last link points at a hub that does not exist yet: the proxy gets its target later.
    const ca = await LinkProxy.start(td);
    const a = await HubProcess.start(td, ['--memory', ...extra, '--peer', `127.0.0.1:${ca.port}`]);
    const ba = await LinkProxy.start(td, a.tcpPort);
    const b = await HubProcess.start(td, ['--memory', ...extra, '--peer', `127.0.0.1:${ba.port}`]);
    const cb = await LinkProxy.start(td, b.tcpPort);
    const c = await HubProcess.start(td, ['--memory', ...extra, '--peer', `127.0.0.1:${cb.port}`]);
    ca.setTarget(c.tcpPort);
    await meshLive([a, b, c], 3);
    return {
      hubs: [a, b, c],
      links: [
        ['A–C', ca],
        ['B–A', ba],
        ['C–B', cb],
      ],
    };
  }

  it('in a ring A→B→C→A: clients converge and every update crosses each link at most once', async (t) => {
    const td = teardown(t);
    // A wide relay delay: a loaded CI machine must not turn scheduling jitter into link latency.
    const relayDelayMs = 800;
    const { hubs, links } = await ring(td, ['--relay-delay-ms', String(relayDelayMs)]);
    const models = await Promise.all(hubs.map((hub, i) => client(td, hub, `C${'ABC'[i]}`)));
    await writeAndConverge(models);
    await sleep(2 * relayDelayMs + 300); // the held-back relays are due by now: count them too
    const total = UPDATES_PER_CLIENT * 3;
    let crossings = 0;
    for (const [name, link] of links) {
      const both = [...link.forward, ...link.backward];
      assert.deepEqual(duplicates(both), [], `${name}: no update crossed this link twice`);
      t.diagnostic(
        `${name}: ${link.forward.length} forward (${[...new Set(link.forward.map((x) => x.split(':')[1]))]}), ${link.backward.length} backward (${[...new Set(link.backward.map((x) => x.split(':')[1]))]})`,
      );
      crossings += both.length;
    }
    // Two direct copies from the origin hub, and one relay on the opposite link: once per link.
    t.diagnostic(`ring: ${crossings} link crossings for ${total} updates`);
    assert.equal(crossings, 3 * total, 'every update crossed each of the 3 links exactly once');
    for (const hub of hubs)
      assert.deepEqual(
        hub.logs.filter((r) => r.level === 'error'),
        [],
        'no error logged',
      );
  });

  it('in a ring without the relay delay, updates still converge and never cross a link twice in the same direction', async (t) => {
    const td = teardown(t);
    const { hubs, links } = await ring(td, ['--relay-delay-ms', '0']);
    const models = await Promise.all(hubs.map((hub, i) => client(td, hub, `C${'ABC'[i]}`)));
    await writeAndConverge(models);
    await sleep(100);
    let crossings = 0;
    for (const [name, link] of links) {
      assert.deepEqual(duplicates(link.forward), [], `${name}: nothing twice forward`);
      assert.deepEqual(duplicates(link.backward), [], `${name}: nothing twice backward`);
      crossings += link.forward.length + link.backward.length;
    }
    t.diagnostic(`ring without relay delay: ${crossings} link crossings for ${UPDATES_PER_CLIENT * 3} updates`);
  });
});
