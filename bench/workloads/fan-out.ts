/**
 * @module fan-out
 * Fan-out: a hub model with 20 peers, each peer with its own stream pair to the hub, in process;
 * one peer sets M keys in a loop; timed until every peer has the last key. Yjs: a hub doc linked
 * to 20 peer docs by `doc.on('update')` forwarding, never back to the origin.
 */
import { benchValue, expectCount, expectValue, keyOf } from '../lib/data.ts';
import { floorVariant } from '../lib/floor.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { connect, disconnect, type Impl, type ModelLike, ORIGINAL, OURS, type StreamLike, whenHas } from '../lib/replicas.ts';
import { expectDoc, linkDocs, mapOf, Y } from '../lib/yjs.ts';

/** Peers around the hub. */
export const PEERS = 20;

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    open(m: number): Subject {
      return {
        async prepare() {
          const hub = impl.createModel();
          const peers: ModelLike[] = [];
          const streams: StreamLike[] = [];
          const synced: Promise<void>[] = [];
          for (let p = 0; p < PEERS; p++) {
            const peer = impl.createModel();
            const link = connect(peer, hub);
            peers.push(peer);
            streams.push(link.a, link.b);
            synced.push(link.synced);
          }
          await Promise.all(synced);
          const writer = peers[0] as ModelLike;
          return {
            async run() {
              for (let i = 0; i < m; i++) writer.set(keyOf(i), benchValue(i));
              await Promise.all(peers.map((peer) => whenHas(peer, m - 1)));
              return undefined;
            },
            check() {
              for (const [p, peer] of [...peers, hub].entries()) {
                expectCount(peer.keys().length, m, `${impl.name} peer ${p}`);
                expectValue(peer.get(keyOf(m - 1)), m - 1, `${impl.name} peer ${p}`);
              }
            },
            done: () => disconnect(...streams),
          };
        },
      };
    },
  };
}

const yjs: Variant = {
  name: 'yjs',
  open(m: number): Subject {
    return {
      prepare() {
        const hub = new Y.Doc();
        const peers = Array.from({ length: PEERS }, () => new Y.Doc());
        const unlinks = peers.map((peer) => linkDocs(peer, hub));
        const map = mapOf(peers[0] as Y.Doc);
        return {
          run() {
            for (let i = 0; i < m; i++) map.set(keyOf(i), benchValue(i));
            return undefined;
          },
          check() {
            for (const [p, doc] of [...peers, hub].entries()) expectDoc(doc, m, m - 1, `yjs peer ${p}`);
          },
          done() {
            for (const unlink of unlinks) unlink();
            for (const doc of [...peers, hub]) doc.destroy();
          },
        };
      },
    };
  },
};

export const fanOut: Workload = {
  id: 'fan-out',
  title: 'fan-out, hub + 20 peers',
  unit: 'ms',
  sizeLabel: 'M',
  sizes: { quick: [1_000], standard: [1_000, 10_000], big: [100_000] },
  workFactor: PEERS,
  target: { ratio: 0.5, at: 10_000, text: '≤ 0.5×' },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL), yjs, floorVariant((m) => m, PEERS)],
};
