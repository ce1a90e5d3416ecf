/**
 * Convergence under random operations, topologies, chunking, disconnects and reconnects (issue 3).
 * Every run ends by healing every link and delivering every byte; then each replica must equal
 * the last-write-wins result computed from the list of writes, and the network must have sent no
 * update twice over one direction of one connection, nor back to the peer it came from.
 *
 * Replay a failure with the seed and path fast-check prints:
 *   SB_SEED=<seed> SB_PATH=<path> node --import tsx --test test/property/convergence.test.ts
 * More runs: SB_EXTENSIVE=1.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Events, Model, Value } from '../../src/index.ts';
import { assertEventsConverged, assertGroupsAgree, assertModelConverged, assertValueConverged } from '../helpers/sim-assert.ts';
import { seededRandom } from '../helpers/sim-network.ts';
import { fcParams, keyName, type ModelKind, opArb, ScenarioRun, scenarioArb, valueArb } from '../helpers/sim-scenario.ts';

const KEYS = 4;

const modelKind: ModelKind<Model> = {
  create: (options) => new Model(options),
  write: (model, key, value) => {
    model.set(key, value);
    return value;
  },
};

const valueKind: ModelKind<Value> = {
  create: (options) => new Value(options),
  write: (model, _key, value) => {
    model.set(value);
    return value;
  },
};

/** An event carries a serial number, so every event is distinct and the multiset check is exact. */
const eventsKind: ModelKind<Events> = {
  create: (options) => new Events(options),
  write: (model, name, value, serial) => {
    const payload = { serial, value };
    model.emit(name, payload);
    return payload;
  },
};

describe('convergence (property)', () => {
  it('Model: all replicas equal the last-write-wins result, with no duplicate or echoed update', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ keys: KEYS, value: valueArb, maxChunk: 48 }), async (scenario) => {
        const run = new ScenarioRun(modelKind, scenario);
        try {
          await run.play(scenario.ops);
          await run.healAndDrain();
          assertModelConverged(run);
        } finally {
          run.net.close();
        }
      }),
      fcParams(50),
    );
  });

  it('Events: every replica saw every event exactly once, with equal history and clocks', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ keys: 3, value: valueArb, maxChunk: 48 }), async (scenario) => {
        const run = new ScenarioRun(eventsKind, scenario);
        const seen: string[][] = run.net.models.map(() => []);
        run.net.models.forEach((model, i) => {
          for (let k = 0; k < 3; k++) {
            const name = keyName(k);
            model.on(name, (payload: unknown) => (seen[i] as string[]).push(JSON.stringify([name, payload])));
          }
        });
        try {
          await run.play(scenario.ops);
          await run.healAndDrain();
          assertEventsConverged(run, seen);
        } finally {
          run.net.close();
        }
      }),
      fcParams(40),
    );
  });

  it('Value: every replica holds the newest value', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ keys: 1, value: valueArb, maxChunk: 48 }), async (scenario) => {
        const run = new ScenarioRun(valueKind, scenario);
        try {
          await run.play(scenario.ops);
          await run.healAndDrain();
          assertValueConverged(run);
        } finally {
          run.net.close();
        }
      }),
      fcParams(40),
    );
  });

  it('Model: a partition converges on each side, then everywhere once healed', async () => {
    const ops = (max: number) => fc.array(opArb({ keys: KEYS, value: valueArb, maxChunk: 48 }), { maxLength: max, size: 'max' });
    const arb = fc.record({
      scenario: scenarioArb({ keys: KEYS, value: valueArb, maxChunk: 48, minPeers: 3, maxOps: 30 }),
      side: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      during: ops(80),
      after: ops(30),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ scenario, side, during, after }) => {
        const run = new ScenarioRun(modelKind, scenario);
        const net = run.net;
        try {
          await run.play(scenario.ops);
          net.partition(side);
          await run.play(during);
          // Reconnect what the partition allows, deliver everything, compare within each side.
          for (const link of net.links) net.connect(link.index);
          await net.drain(seededRandom(scenario.drainSeed ^ 0x5bd1e995), scenario.drainChunk);
          net.assertClean();
          assertGroupsAgree(net.models, net.components());
          net.heal();
          await run.play(after);
          await run.healAndDrain();
          assertModelConverged(run);
        } finally {
          net.close();
        }
      }),
      fcParams(30),
    );
  });
});
