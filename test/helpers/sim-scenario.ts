/**
 * @module test/helpers/sim-scenario
 * Random scenarios for the convergence properties: fast-check arbitraries for peers, topology and
 * operations; a runner that plays them on a {@link SimNetwork}; and last-write-wins oracles
 * computed from the list of writes alone, independently of the models.
 */
import fc from 'fast-check';
import type { Scuttlebutt } from '../../src/index.ts';
import { FakeTime, SimNetwork, type SimOptions, seededRandom, TOPOLOGIES, type Topology, topologyEdges } from './sim-network.ts';

/** How many runs a property makes: modest by default, ten times more under `SB_EXTENSIVE`. */
export function runs(base: number): number {
  return process.env.SB_EXTENSIVE ? base * 10 : base;
}

/**
 * fast-check parameters: `SB_SEED` (and `SB_PATH`) replay a failure fast-check printed. A time
 * budget bounds shrinking (a failing network scenario can take a minute to shrink fully); the
 * counterexample reached by then is printed with its seed and path, and runs that simply take
 * long on a slow machine stop at the budget instead of failing.
 */
export function fcParams(base: number, budgetMs = 20_000): fc.Parameters<unknown> {
  const params: fc.Parameters<unknown> = {
    numRuns: runs(base),
    includeErrorInReport: true,
    plugins: [fc.interruptAfterTimeLimit(process.env.SB_EXTENSIVE ? budgetMs * 10 : budgetMs)],
  };
  if (process.env.SB_SEED !== undefined) params.seed = Number(process.env.SB_SEED);
  if (process.env.SB_PATH !== undefined) params.path = process.env.SB_PATH;
  return params;
}

/** Peer ids, some non-ASCII and some that compare unlike their insertion order. */
export const PEER_IDS = ['A', 'b', 'C2', 'é', '𝄞', 'z9', 'M'] as const;

/** Strings with characters of 1 to 4 UTF-8 bytes, quotes, backslashes and newlines. */
export const unicodeString = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ' ', 'é', 'ß', '€', '中', '𝄞', '😀', '"', '\\', '\n', '\u2028'),
  maxLength: 8,
});

/** A value written to a model: mostly small, sometimes a structure; `null` deletes. */
export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 5, arbitrary: unicodeString },
  {
    weight: 1,
    arbitrary: fc.record({ s: unicodeString, n: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }) }, { noNullPrototype: true }),
  },
);

/**
 * A large value (kilobytes of multi-byte text), to fill stream buffers. Generated as a compact
 * `{ $repeat, times }` so counterexamples stay readable; {@link expandValue} builds the string.
 */
export const bigValueArb: fc.Arbitrary<unknown> = fc.record(
  { $repeat: fc.constantFrom('é', 'a', '𝄞', '中'), times: fc.integer({ min: 500, max: 5000 }) },
  { noNullPrototype: true },
);

/** Turns a generated value into the value written: `{ $repeat, times }` becomes a long string. */
export function expandValue(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && '$repeat' in value) {
    const { $repeat, times } = value as { $repeat: string; times: number };
    return $repeat.repeat(times);
  }
  return value;
}

/** Limits for the catch-up and chunking paths: small buffers, small chunks. */
export const smallLimitsArb = fc.record(
  { maxBufferedBytes: fc.integer({ min: 1, max: 400 }), maxChunkBytes: fc.integer({ min: 1, max: 400 }) },
  { noNullPrototype: true },
);

export type Op =
  | { readonly t: 'write'; readonly peer: number; readonly key: number; readonly value: unknown }
  | { readonly t: 'burst'; readonly peer: number; readonly writes: ReadonlyArray<{ readonly key: number; readonly value: unknown }> }
  | { readonly t: 'deliver'; readonly pick: number; readonly bytes: number }
  | { readonly t: 'disconnect'; readonly link: number }
  | { readonly t: 'reconnect'; readonly link: number }
  | { readonly t: 'tick'; readonly ms: number };

export interface OpOptions {
  readonly keys: number;
  readonly value: fc.Arbitrary<unknown>;
  readonly maxChunk: number;
  /** Relative frequencies of the operations (defaults in {@link DEFAULT_WEIGHTS}). */
  readonly weights?: Partial<Record<Op['t'], number>>;
}

export const DEFAULT_WEIGHTS: Readonly<Record<Op['t'], number>> = {
  write: 6,
  burst: 1,
  deliver: 12,
  disconnect: 1,
  reconnect: 2,
  tick: 2,
};

/** One operation; indices are taken modulo the number of peers, links or busy directions. */
export function opArb({ keys, value, maxChunk, weights = {} }: OpOptions): fc.Arbitrary<Op> {
  const w = { ...DEFAULT_WEIGHTS, ...weights };
  const peer = fc.nat(5);
  const key = fc.nat(keys - 1);
  const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true });
  return fc.oneof(
    { weight: w.write, arbitrary: record({ t: fc.constant('write' as const), peer, key, value }) },
    {
      weight: w.burst,
      arbitrary: record({
        t: fc.constant('burst' as const),
        peer,
        writes: fc.array(record({ key, value }), { minLength: 2, maxLength: 6 }),
      }),
    },
    {
      weight: w.deliver,
      arbitrary: record({ t: fc.constant('deliver' as const), pick: fc.nat(99), bytes: fc.integer({ min: 1, max: maxChunk }) }),
    },
    { weight: w.disconnect, arbitrary: record({ t: fc.constant('disconnect' as const), link: fc.nat(14) }) },
    { weight: w.reconnect, arbitrary: record({ t: fc.constant('reconnect' as const), link: fc.nat(14) }) },
    { weight: w.tick, arbitrary: record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3 }) }) },
  );
}

export interface Scenario {
  readonly peers: number;
  readonly topology: Topology;
  readonly ids: readonly string[];
  /** Per peer, ms its wall clock runs ahead of the shared one. */
  readonly offsets: readonly number[];
  readonly ops: readonly Op[];
  /** Seeds the final drain's choices. */
  readonly drainSeed: number;
  readonly drainChunk: number;
  /** Small stream limits, to drive the catch-up and chunking paths; `null`: the defaults. */
  readonly limits: { maxBufferedBytes: number; maxChunkBytes: number } | null;
}

export interface ScenarioOptions extends OpOptions {
  /** Stream limits of every model; by default the library's defaults in 3 runs of 4, else small ones. */
  readonly limits?: fc.Arbitrary<{ maxBufferedBytes: number; maxChunkBytes: number } | null>;
  readonly minPeers?: number;
  readonly maxPeers?: number;
  /** Smallest chunk of the final drain (large values need large chunks to drain quickly). */
  readonly minDrainChunk?: number;
  readonly maxOps?: number;
}

export function scenarioArb(options: ScenarioOptions): fc.Arbitrary<Scenario> {
  const { minPeers = 2, maxPeers = 6, maxOps = 100 } = options;
  return fc.record(
    {
      peers: fc.integer({ min: minPeers, max: maxPeers }),
      topology: fc.constantFrom(...TOPOLOGIES),
      ids: fc.shuffledSubarray([...PEER_IDS], { minLength: PEER_IDS.length, maxLength: PEER_IDS.length }),
      offsets: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
      ops: fc.array(opArb(options), { maxLength: maxOps, size: 'max' }),
      drainSeed: fc.integer(),
      drainChunk: fc.integer({ min: options.minDrainChunk ?? 1, max: options.maxChunk }),
      limits: options.limits ?? fc.option(smallLimitsArb, { freq: 3 }),
    },
    { noNullPrototype: true },
  );
}

/** A write as the oracle sees it: what, where, and the (ts, source) the model gave it. */
export interface Write {
  readonly key: string;
  readonly value: unknown;
  readonly ts: number;
  readonly source: string;
}

/** Builds a model for a peer, writes to it, and names a key. */
export interface ModelKind<M extends Scuttlebutt> {
  create(options: { id: string; now: () => number; limits?: { maxBufferedBytes: number; maxChunkBytes: number } }): M;
  /**
   * Performs one write and returns the value the oracle should expect for it (for Events, the
   * payload the listeners receive).
   */
  write(model: M, key: string, value: unknown, serial: number): unknown;
}

export function keyName(key: number): string {
  // Keys that are property names of Object.prototype or need escaping on the wire, too.
  return ['k', 'constructor', 'ключ', 'a"b', 'x\ny', 'toString', '𝄞', 'hasOwnProperty', 'k8', 'k9', 'k10', 'k11'][key] ?? `k${key}`;
}

/** A running scenario: the network, its clock and the writes made so far. */
export class ScenarioRun<M extends Scuttlebutt> {
  readonly time = new FakeTime();
  readonly net: SimNetwork<M>;
  readonly writes: Write[] = [];
  #serial = 0;

  constructor(
    readonly kind: ModelKind<M>,
    readonly scenario: Scenario,
    simOptions: SimOptions = {},
  ) {
    const models: M[] = [];
    for (let i = 0; i < scenario.peers; i++) {
      const options = { id: scenario.ids[i] as string, now: this.time.nowFor(scenario.offsets[i] ?? 0) };
      models.push(kind.create(scenario.limits === null ? options : { ...options, limits: scenario.limits }));
    }
    this.net = new SimNetwork(models, topologyEdges(scenario.topology, scenario.peers), simOptions);
  }

  write(peer: number, key: number, value: unknown): void {
    const model = this.net.models[peer % this.net.models.length] as M;
    const name = keyName(key);
    const expected = this.kind.write(model, name, expandValue(value), this.#serial++);
    // The model's clock entry for itself is the timestamp of the write it just made.
    this.writes.push({
      key: name,
      value: expected === undefined ? null : expected,
      ts: model.sources[model.id] as number,
      source: model.id,
    });
  }

  /** Plays operations, settling the event loop after each. */
  async play(ops: readonly Op[], allow: { reconnect?: (link: number) => boolean } = {}): Promise<void> {
    const net = this.net;
    await net.settle();
    for (const op of ops) {
      switch (op.t) {
        case 'write':
          this.write(op.peer, op.key, op.value);
          break;
        case 'burst':
          for (const w of op.writes) this.write(op.peer, w.key, w.value);
          break;
        case 'deliver':
          net.deliverPick(op.pick, op.bytes);
          break;
        case 'disconnect':
          net.disconnect(op.link % net.links.length);
          break;
        case 'reconnect': {
          const link = op.link % net.links.length;
          if (allow.reconnect === undefined || allow.reconnect(link)) net.connect(link);
          break;
        }
        case 'tick':
          this.time.advance(op.ms);
          break;
      }
      await net.settle();
    }
  }

  /** Reconnects every link and delivers everything. */
  async healAndDrain(): Promise<void> {
    this.net.heal();
    await this.net.drain(seededRandom(this.scenario.drainSeed), this.scenario.drainChunk);
  }
}

/** Whether write `a` beats write `b` under last-write-wins: higher ts, then higher source. */
export function beats(a: { ts: number; source: string }, b: { ts: number; source: string }): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts;
  return a.source > b.source;
}

/** The winning write of each key. */
export function lwwWinners(writes: readonly Write[]): Map<string, Write> {
  const winners = new Map<string, Write>();
  for (const w of writes) {
    const current = winners.get(w.key);
    if (current === undefined || beats(w, current)) winners.set(w.key, w);
  }
  return winners;
}

/** Orders by (ts, source): the order of history. */
export function byTsSource(a: { ts: number; source: string }, b: { ts: number; source: string }): number {
  return a.ts - b.ts || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
}

/** For each source, the greatest timestamp it wrote. */
export function maxTsBySource(writes: ReadonlyArray<{ ts: number; source: string }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of writes) out.set(w.source, Math.max(out.get(w.source) ?? Number.NEGATIVE_INFINITY, w.ts));
  return out;
}

/** A clock as a plain sorted object, for comparisons and messages. */
export function plainClock(clock: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const source of Object.keys(clock).sort()) out[source] = clock[source] as number;
  return out;
}
