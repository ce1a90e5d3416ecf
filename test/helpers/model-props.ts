/**
 * @module test/helpers/model-props
 * Convergence properties shared by the data models of issue 8, on the deterministic
 * {@link SimNetwork} (no echo, no duplicate, no `invalid` allowed):
 *
 * 1. Random operations on random peers, random topologies, partitions, disconnects and
 *    reconnections: once healed and drained, every replica has the same `toJSON()`. Then every
 *    replica collects its tombstones; memory returns to the live size, and reconnecting everyone
 *    brings no deleted element back.
 * 2. Deletions made on one side of a partition, while the other side keeps writing elsewhere,
 *    win everywhere once the partition heals.
 * 3. The same, but the deletions' tombstones are collected before the partition heals (the
 *    grace period passes): the replicas that were away get a reset, drop the deleted elements,
 *    and everyone converges; what the away side wrote meanwhile survives.
 *
 * Replay a failure with the seed fast-check prints: `SB_SEED=<seed> SB_PATH=<path>`.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Scuttlebutt } from '../../src/index.ts';
import { FakeTime, SimNetwork, seededRandom, TOPOLOGIES, topologyEdges } from './sim-network.ts';
import { fcParams } from './sim-scenario.ts';

/** How one model is driven by the properties. */
export interface ModelSpec<M extends Scuttlebutt, Op> {
  create(id: string): M;
  /** A random local operation (any kind, deletions included). */
  op: fc.Arbitrary<Op>;
  /** A random operation that only adds new elements (never touches existing ones). */
  growOp: fc.Arbitrary<Op>;
  apply(model: M, op: Op, serial: number): void;
  /** What must be equal on every replica. */
  snapshot(model: M): unknown;
  /** Deletes up to `count` existing elements; returns their identities. */
  deleteSome(model: M, count: number, pick: (n: number) => number): string[];
  /** Whether an element (by identity) is live. */
  present(model: M, id: string): boolean;
  /** Drops every tombstone; returns the number of elements history then holds. */
  collect?(model: M): number;
  /** The live size: what history may hold at most once tombstones are gone. */
  liveSize?(model: M): number;
  /** Checks two replicas agree (default: equal snapshots). */
  agree?(a: M, b: M): void;
  /** A replica that collects tombstones after `ttlMs` on the clock `now` (for property 3). */
  createCollecting?(id: string, now: () => number, ttlMs: number): M & { collectTombstones(): number };
}

type Step<Op> =
  | { t: 'op'; peer: number; op: Op }
  | { t: 'deliver'; pick: number; bytes: number }
  | { t: 'partition'; side: boolean[] }
  | { t: 'heal' }
  | { t: 'disconnect'; link: number }
  | { t: 'connect'; link: number };

const IDS = ['A', 'b', 'C2', 'é'] as const;

function stepArb<Op>(op: fc.Arbitrary<Op>, peers: number): fc.Arbitrary<Step<Op>> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('op' as const), peer: fc.nat(peers - 1), op }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant('deliver' as const), pick: fc.nat(), bytes: fc.integer({ min: 1, max: 200 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('partition' as const), side: fc.array(fc.boolean(), { minLength: peers, maxLength: peers }) }),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'heal' as const }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('disconnect' as const), link: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('connect' as const), link: fc.nat() }) },
  );
}

async function settleAll<M extends Scuttlebutt>(net: SimNetwork<M>, seed: number): Promise<void> {
  net.heal();
  await net.drain(seededRandom(seed), 64);
}

function assertSame<M extends Scuttlebutt, Op>(spec: ModelSpec<M, Op>, models: readonly M[], what: string): void {
  if (spec.agree !== undefined) {
    for (let i = 1; i < models.length; i++) spec.agree(models[0] as M, models[i] as M);
    return;
  }
  const first = JSON.parse(JSON.stringify(spec.snapshot(models[0] as M)));
  for (let i = 1; i < models.length; i++) {
    assert.deepEqual(JSON.parse(JSON.stringify(spec.snapshot(models[i] as M))), first, `${what}: replica ${i} differs from replica 0`);
  }
}

/** Property 1: random operations, partitions and reconnections converge; GC keeps them converged. */
export function convergenceProperty<M extends Scuttlebutt, Op>(spec: ModelSpec<M, Op>, runs: number): Promise<void> {
  const scenario = fc.integer({ min: 2, max: 4 }).chain((peers) =>
    fc.record({
      peers: fc.constant(peers),
      topology: fc.constantFrom(...TOPOLOGIES),
      steps: fc.array(stepArb(spec.op, peers), { minLength: 5, maxLength: 40 }),
      seed: fc.nat(),
    }),
  );
  return fc.assert(
    fc.asyncProperty(scenario, async ({ peers, topology, steps, seed }) => {
      const models = IDS.slice(0, peers).map((id) => spec.create(id));
      const net = new SimNetwork(models, topologyEdges(topology, peers));
      try {
        let serial = 0;
        for (const step of steps) {
          switch (step.t) {
            case 'op':
              spec.apply(models[step.peer] as M, step.op, serial++);
              break;
            case 'deliver':
              net.deliverPick(step.pick, step.bytes);
              break;
            case 'partition':
              net.partition(step.side);
              break;
            case 'heal':
              net.heal();
              break;
            case 'disconnect':
              net.disconnect(step.link % net.links.length);
              break;
            case 'connect':
              net.connect(step.link % net.links.length);
              break;
          }
          await net.settle();
        }
        await settleAll(net, seed);
        net.assertClean();
        assertSame(spec, models, 'after healing');
        if (spec.collect !== undefined && spec.liveSize !== undefined) {
          for (const model of models) {
            const held = spec.collect(model);
            assert.ok(held <= spec.liveSize(model), `after collection history holds ${held} > live size ${spec.liveSize(model)}`);
          }
          for (const link of net.links) net.disconnect(link.index);
          await settleAll(net, seed + 1);
          net.assertClean();
          assertSame(spec, models, 'after collection and reconnection');
        }
      } finally {
        net.close();
      }
    }),
    fcParams(runs),
  );
}

/** A partition scenario: growing setup, a side, deletions on peer 0's side, writes (and deletions) on the other. */
function partitionScenario<M extends Scuttlebutt, Op>(spec: ModelSpec<M, Op>) {
  return fc.integer({ min: 2, max: 4 }).chain((peers) =>
    fc.record({
      peers: fc.constant(peers),
      topology: fc.constantFrom(...TOPOLOGIES),
      setup: fc.array(fc.record({ peer: fc.nat(peers - 1), op: spec.growOp }), { minLength: 3, maxLength: 12 }),
      away: fc.array(fc.record({ peer: fc.nat(peers - 1), op: spec.growOp }), { maxLength: 12 }),
      awayDeletions: fc.integer({ min: 0, max: 3 }),
      side: fc.array(fc.boolean(), { minLength: peers, maxLength: peers }),
      deletions: fc.integer({ min: 1, max: 4 }),
      seed: fc.nat(),
    }),
  );
}

/** Peer 0 on one side (`true`), at least one peer on the other. */
function splitSides(side: readonly boolean[]): boolean[] {
  const sides = side.slice();
  sides[0] = true;
  if (sides.every(Boolean)) sides[sides.length - 1] = false;
  return sides;
}

/** Property 2: deletions made during a partition win after it heals. */
export function partitionDeletionProperty<M extends Scuttlebutt, Op>(spec: ModelSpec<M, Op>, runs: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(partitionScenario(spec), async ({ peers, topology, setup, away: during, side, deletions, seed }) => {
      const models = IDS.slice(0, peers).map((id) => spec.create(id));
      const net = new SimNetwork(models, topologyEdges(topology, peers));
      try {
        let serial = 0;
        for (const { peer, op } of setup) spec.apply(models[peer] as M, op, serial++);
        await settleAll(net, seed);
        const sides = splitSides(side);
        net.partition(sides);
        const deleted = spec.deleteSome(models[0] as M, deletions, seededRandom(seed));
        for (const { peer, op } of during) if (!sides[peer]) spec.apply(models[peer] as M, op, serial++);
        await net.drain(seededRandom(seed + 2), 64);
        await settleAll(net, seed + 3);
        net.assertClean();
        assertSame(spec, models, 'after healing');
        for (const model of models) for (const id of deleted) assert.ok(!spec.present(model, id), `${id} came back on ${model.id}`);
      } finally {
        net.close();
      }
    }),
    fcParams(runs),
  );
}

/** Property 3: a replica away longer than the grace period gets a reset and drops what was deleted. */
export function resetProperty<M extends Scuttlebutt, Op>(spec: ModelSpec<M, Op>, runs: number): Promise<void> {
  const create = spec.createCollecting;
  if (create === undefined) throw new Error('resetProperty needs spec.createCollecting');
  const ttlMs = 1000;
  return fc.assert(
    fc.asyncProperty(partitionScenario(spec), async ({ peers, topology, setup, away, awayDeletions, side, deletions, seed }) => {
      const time = new FakeTime();
      const models = IDS.slice(0, peers).map((id) => create(id, time.nowFor(), ttlMs));
      const net = new SimNetwork(models, topologyEdges(topology, peers));
      try {
        let serial = 0;
        for (const { peer, op } of setup) spec.apply(models[peer] as M, op, serial++);
        await settleAll(net, seed);
        const sides = splitSides(side);
        net.partition(sides);
        time.advance(10);
        const deleted = spec.deleteSome(models[0] as M, deletions, seededRandom(seed));
        for (const { peer, op } of away) if (!sides[peer]) spec.apply(models[peer] as M, op, serial++);
        // The away side deletes too, so resets go both ways.
        const awayPeer = sides.indexOf(false);
        deleted.push(...spec.deleteSome(models[awayPeer] as M, awayDeletions, seededRandom(seed + 1)));
        await net.drain(seededRandom(seed + 2), 64);
        time.advance(10 * ttlMs);
        for (const model of models) model.collectTombstones();
        // Every tombstone is gone now: only a reset can tell the away side about the deletions.
        await settleAll(net, seed + 3);
        net.assertClean();
        assertSame(spec, models, 'after the reset');
        for (const model of models) for (const id of deleted) assert.ok(!spec.present(model, id), `${id} came back on ${model.id}`);
      } finally {
        net.close();
      }
    }),
    fcParams(runs),
  );
}
