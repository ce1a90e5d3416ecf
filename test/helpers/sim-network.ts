/**
 * @module test/helpers/sim-network
 * A deterministic in-memory network for the property tests: models joined by links, each link a
 * pair of our own streams (`a.createStream()` ↔ `b.createStream()`) whose bytes the test moves by
 * hand. Nothing is delivered unless the test says so, so every interleaving is reproducible from
 * the fast-check seed.
 *
 * - Bytes leaving a stream are captured and queued per direction; {@link SimNetwork.deliver}
 *   hands the receiver any number of them at once, so lines and UTF-8 characters are split at
 *   arbitrary byte boundaries. Within one direction of one connection bytes stay in order (TCP);
 *   between directions and links the test picks the order.
 * - `disconnect` destroys both streams and drops what was not delivered; `connect` makes fresh
 *   streams (a new connection, with a new handshake).
 * - Window mode (`{ window: true }`) reads a sender only when the test delivers from it, as a
 *   socket with a full send buffer does; the stream's readable buffer then fills and
 *   backpressure reaches the session. Otherwise streams flow freely ('data' listeners).
 * - Checks, recorded in {@link SimNetwork.violations}: no update (source, ts) is sent twice over
 *   one direction of one connection; none is sent back to the peer it was learned from on that
 *   connection (in flowing mode, more strictly: none is sent after the same update was delivered
 *   from that peer); no stream errors; no model reports `invalid`.
 */
import { Buffer } from 'node:buffer';
import type { ReplicationStream, Scuttlebutt } from '../../src/index.ts';

/** The shapes of network the properties draw from. */
export type Topology = 'line' | 'ring' | 'star' | 'mesh';
export const TOPOLOGIES: readonly Topology[] = ['line', 'ring', 'star', 'mesh'];

/** The edges of a topology over peers `0..n-1`; every topology is connected. */
export function topologyEdges(topology: Topology, n: number): Array<[number, number]> {
  const edges: Array<[number, number]> = [];
  switch (topology) {
    case 'line':
      for (let i = 0; i + 1 < n; i++) edges.push([i, i + 1]);
      break;
    case 'ring':
      for (let i = 0; i + 1 < n; i++) edges.push([i, i + 1]);
      if (n > 2) edges.push([n - 1, 0]);
      break;
    case 'star':
      for (let i = 1; i < n; i++) edges.push([0, i]);
      break;
    case 'mesh':
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) edges.push([i, j]);
      break;
  }
  return edges;
}

/** A wall clock the test moves; peers read it through `now` with an optional fixed offset. */
export class FakeTime {
  t: number;
  constructor(start = 1_000_000) {
    this.t = start;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  /** A `now()` for one peer, `offset` ms ahead of the shared time. */
  nowFor(offset = 0): () => number {
    return () => this.t + offset;
  }
}

/** A small seeded PRNG (mulberry32), for choices made after the generated operations run out. */
export function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(r * n);
  };
}

/** Lets queued microtasks, next-ticks and one macrotask turn run, so stream output is flushed. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The identity of an update on the wire: its source and timestamp. */
export function updateId(source: string, ts: number): string {
  return `${JSON.stringify(source)}@${ts}`;
}

/** Splits a byte stream into lines on its own (independent of the library's decoder). */
class LineTap {
  #rest: Buffer = Buffer.alloc(0);
  /** Between a `{"reset":…}` line and the next `"SYNC"`: a snapshot, which resends on purpose. */
  #inSnapshot = false;
  /** Takes bytes; returns the update lines (`[change, ts, source, ...]`) completed by them. */
  push(chunk: Buffer): Array<{ source: string; ts: number; snapshot: boolean }> {
    let buf = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
    const out: Array<{ source: string; ts: number; snapshot: boolean }> = [];
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10)) {
      const line = buf.subarray(0, nl).toString('utf8');
      buf = buf.subarray(nl + 1);
      if (line.startsWith('{"reset":')) this.#inSnapshot = true;
      else if (line === '"SYNC"') this.#inSnapshot = false;
      else if (line.startsWith('[')) {
        const value = JSON.parse(line) as unknown[];
        out.push({ source: value[2] as string, ts: value[1] as number, snapshot: this.#inSnapshot });
      }
    }
    this.#rest = Buffer.from(buf);
    return out;
  }
}

/** One direction of one connection. */
export interface Direction {
  readonly from: number;
  readonly to: number;
  /** The sender's stream. */
  readonly source: ReplicationStream;
  /** The receiver's stream. */
  readonly target: ReplicationStream;
  /** Captured, not yet delivered. */
  pending: Buffer[];
  pendingBytes: number;
  readonly sentTap: LineTap;
  readonly deliveredTap: LineTap;
  /** Update ids the sender put on this direction. */
  readonly sent: Set<string>;
  /** Update ids delivered to the receiver. */
  readonly delivered: Set<string>;
  /** Update ids the receiver did not have before they were delivered here. */
  readonly learned: Set<string>;
  updatesSent: number;
  updatesDelivered: number;
  bytesDelivered: number;
}

/** One connection over a link: two streams, two directions. */
export interface Connection {
  readonly serial: number;
  /** `dirs[0]`: a → b, `dirs[1]`: b → a. */
  readonly dirs: [Direction, Direction];
  /** Whether each side's stream emitted `sync`. */
  readonly synced: [boolean, boolean];
  open: boolean;
}

/** A link between two peers, connected or not. */
export interface SimLink {
  readonly index: number;
  readonly a: number;
  readonly b: number;
  conn: Connection | null;
  /** Partitioned: `connect` leaves it down until {@link SimNetwork.heal}. */
  blocked: boolean;
  connections: number;
}

export interface SimOptions {
  /** Read senders only on delivery (backpressure), instead of flowing 'data' listeners. */
  window?: boolean;
}

export interface SimStats {
  connections: number;
  disconnects: number;
  deliveries: number;
  bytesDelivered: number;
  updateLinesSent: number;
  updateLinesDelivered: number;
}

/**
 * Models joined by controllable links.
 *
 * @example
 * ```ts
 * const net = new SimNetwork([a, b, c], topologyEdges('line', 3))
 * await net.settle()
 * await net.drain(seededRandom(1), 16)
 * net.assertClean()
 * ```
 */
export class SimNetwork<M extends Scuttlebutt = Scuttlebutt> {
  readonly models: readonly M[];
  readonly links: SimLink[];
  readonly window: boolean;
  readonly violations: string[] = [];
  readonly stats: SimStats = {
    connections: 0,
    disconnects: 0,
    deliveries: 0,
    bytesDelivered: 0,
    updateLinesSent: 0,
    updateLinesDelivered: 0,
  };
  #serial = 0;
  readonly #onInvalid: Array<() => void> = [];

  constructor(models: readonly M[], edges: ReadonlyArray<readonly [number, number]>, options: SimOptions = {}) {
    this.models = models;
    this.window = options.window ?? false;
    this.links = edges.map(([a, b], index) => ({ index, a, b, conn: null, blocked: false, connections: 0 }));
    models.forEach((model, i) => {
      const listener = (error: unknown): void => {
        this.violations.push(`peer ${i} (${model.id}) emitted invalid: ${String(error)}`);
      };
      model.on('invalid', listener);
      this.#onInvalid.push(() => model.off('invalid', listener));
    });
    for (const link of this.links) this.connect(link.index);
  }

  /** Opens a fresh connection on a link, unless it is open or partitioned. */
  connect(index: number): void {
    const link = this.links[index] as SimLink;
    if (link.conn !== null || link.blocked) return;
    const sa = (this.models[link.a] as M).createStream();
    const sb = (this.models[link.b] as M).createStream();
    const conn: Connection = {
      serial: ++this.#serial,
      dirs: [this.#direction(link.a, link.b, sa, sb), this.#direction(link.b, link.a, sb, sa)],
      synced: [false, false],
      open: true,
    };
    sa.once('sync', () => {
      conn.synced[0] = true;
    });
    sb.once('sync', () => {
      conn.synced[1] = true;
    });
    conn.dirs.forEach((dir, d) => {
      const reverse = conn.dirs[1 - d] as Direction;
      dir.source.on('error', (error: Error) => {
        this.violations.push(`link ${index} stream of peer ${dir.from} failed: ${error.message}`);
      });
      if (!this.window) {
        dir.source.on('data', (chunk: Buffer | string) => {
          if (conn.open) this.#capture(index, conn, dir, reverse, Buffer.from(chunk), true);
        });
      }
    });
    link.conn = conn;
    link.connections++;
    this.stats.connections++;
  }

  #direction(from: number, to: number, source: ReplicationStream, target: ReplicationStream): Direction {
    return {
      from,
      to,
      source,
      target,
      pending: [],
      pendingBytes: 0,
      sentTap: new LineTap(),
      deliveredTap: new LineTap(),
      sent: new Set(),
      delivered: new Set(),
      learned: new Set(),
      updatesSent: 0,
      updatesDelivered: 0,
      bytesDelivered: 0,
    };
  }

  #capture(index: number, conn: Connection, dir: Direction, reverse: Direction, chunk: Buffer, strict: boolean): void {
    if (chunk.length === 0) return;
    dir.pending.push(chunk);
    dir.pendingBytes += chunk.length;
    for (const { source, ts, snapshot } of dir.sentTap.push(chunk)) {
      const id = updateId(source, ts);
      const where = `link ${index} (connection ${conn.serial}) ${dir.from}→${dir.to}`;
      // A reset snapshot (the tombstone-collection extension) resends what the peer has on purpose.
      if (snapshot) {
        dir.sent.add(id);
        continue;
      }
      if (dir.sent.has(id)) this.violations.push(`${where}: update ${id} sent twice`);
      if (reverse.learned.has(id)) this.violations.push(`${where}: update ${id} echoed to the peer it came from`);
      else if (strict && reverse.delivered.has(id)) this.violations.push(`${where}: update ${id} sent after the peer delivered it`);
      dir.sent.add(id);
      dir.updatesSent++;
      this.stats.updateLinesSent++;
    }
  }

  /** Closes a link: both streams are destroyed, undelivered bytes are lost. */
  disconnect(index: number): void {
    const link = this.links[index] as SimLink;
    const conn = link.conn;
    if (conn === null) return;
    conn.open = false;
    link.conn = null;
    for (const dir of conn.dirs) {
      dir.pending = [];
      dir.pendingBytes = 0;
      dir.source.destroy();
    }
    this.stats.disconnects++;
  }

  /** Partitions the network: links between the two sides go down and stay down until healed. */
  partition(side: readonly boolean[]): void {
    for (const link of this.links) {
      if (Boolean(side[link.a]) !== Boolean(side[link.b])) {
        this.disconnect(link.index);
        link.blocked = true;
      }
    }
  }

  /** Ends any partition and reconnects every link. */
  heal(): void {
    for (const link of this.links) {
      link.blocked = false;
      this.connect(link.index);
    }
  }

  /** Open directions with bytes waiting (captured, or in window mode still in the sender's buffer). */
  pendingDirections(): Array<{ link: number; d: 0 | 1 }> {
    const out: Array<{ link: number; d: 0 | 1 }> = [];
    for (const link of this.links) {
      const conn = link.conn;
      if (conn === null) continue;
      for (const d of [0, 1] as const) {
        const dir = conn.dirs[d];
        if (dir.pendingBytes > 0 || (this.window && dir.source.readableLength > 0)) out.push({ link: link.index, d });
      }
    }
    return out;
  }

  /** Delivers up to `maxBytes` bytes on one direction of an open link; returns how many. */
  deliver(index: number, d: 0 | 1, maxBytes: number): number {
    const link = this.links[index] as SimLink;
    const conn = link.conn;
    if (conn === null) return 0;
    const dir = conn.dirs[d];
    const reverse = conn.dirs[1 - d] as Direction;
    if (this.window && dir.pendingBytes < maxBytes) {
      const want = Math.min(maxBytes - dir.pendingBytes, dir.source.readableLength);
      const chunk = want > 0 ? (dir.source.read(want) as Buffer | string | null) : null;
      if (chunk !== null) this.#capture(index, conn, dir, reverse, Buffer.from(chunk), false);
    }
    const parts: Buffer[] = [];
    let taken = 0;
    while (taken < maxBytes && dir.pending.length > 0) {
      const head = dir.pending[0] as Buffer;
      const n = Math.min(head.length, maxBytes - taken);
      parts.push(head.subarray(0, n));
      if (n === head.length) dir.pending.shift();
      else dir.pending[0] = head.subarray(n);
      taken += n;
    }
    if (taken === 0) return 0;
    dir.pendingBytes -= taken;
    const piece = Buffer.concat(parts);
    const receiver = this.models[dir.to] as M;
    for (const { source, ts } of dir.deliveredTap.push(piece)) {
      const id = updateId(source, ts);
      const had = receiver.sources[source];
      if (!(had !== undefined && had >= ts)) dir.learned.add(id);
      dir.delivered.add(id);
      dir.updatesDelivered++;
      this.stats.updateLinesDelivered++;
    }
    dir.bytesDelivered += taken;
    this.stats.deliveries++;
    this.stats.bytesDelivered += taken;
    dir.target.write(piece);
    return taken;
  }

  /**
   * Delivers one chunk on the `pick`-th direction that has bytes waiting (modulo their number).
   * @returns whether anything was waiting
   */
  deliverPick(pick: number, maxBytes: number): boolean {
    const dirs = this.pendingDirections();
    if (dirs.length === 0) return false;
    const { link, d } = dirs[pick % dirs.length] as { link: number; d: 0 | 1 };
    this.deliver(link, d, maxBytes);
    return true;
  }

  settle(): Promise<void> {
    return settle();
  }

  /**
   * Delivers everything, in random chunks of 1..maxChunk bytes on random directions, until no
   * bytes are waiting anywhere.
   * @throws if it does not go quiet within `maxSteps` deliveries (a livelock)
   */
  async drain(random: (n: number) => number, maxChunk: number, maxSteps = 200_000): Promise<void> {
    for (let step = 0; ; step++) {
      await settle();
      const dirs = this.pendingDirections();
      if (dirs.length === 0) {
        await settle();
        if (this.pendingDirections().length === 0) return;
        continue;
      }
      if (step > maxSteps) throw new Error(`network still busy after ${maxSteps} deliveries`);
      const { link, d } = dirs[random(dirs.length)] as { link: number; d: 0 | 1 };
      this.deliver(link, d, 1 + random(maxChunk));
    }
  }

  /** Every open connection, with its link. */
  openConnections(): Array<{ link: SimLink; conn: Connection }> {
    const out: Array<{ link: SimLink; conn: Connection }> = [];
    for (const link of this.links) if (link.conn !== null) out.push({ link, conn: link.conn });
    return out;
  }

  /** Connected components of the open links (peers with no open link are alone). */
  components(): number[][] {
    const parent = this.models.map((_, i) => i);
    const find = (i: number): number => {
      while (parent[i] !== i) i = parent[i] as number;
      return i;
    };
    for (const link of this.links) if (link.conn !== null) parent[find(link.a)] = find(link.b);
    const groups = new Map<number, number[]>();
    this.models.forEach((_, i) => {
      const root = find(i);
      const group = groups.get(root) ?? [];
      group.push(i);
      groups.set(root, group);
    });
    return [...groups.values()];
  }

  /** Throws if any check failed or an open connection did not complete its handshake both ways. */
  assertClean(requireSynced = true): void {
    const problems = [...this.violations];
    if (requireSynced) {
      for (const { link, conn } of this.openConnections()) {
        if (!conn.synced[0] || !conn.synced[1]) {
          problems.push(`link ${link.index} (${link.a}–${link.b}, connection ${conn.serial}) never synced: ${conn.synced}`);
        }
      }
    }
    if (problems.length > 0) throw new Error(`network checks failed:\n  ${problems.slice(0, 20).join('\n  ')}`);
  }

  /** Destroys every stream and disposes every model. */
  close(): void {
    for (const link of this.links) this.disconnect(link.index);
    for (const off of this.#onInvalid) off();
    for (const model of this.models) model.dispose();
  }
}
