/**
 * @module test/helpers/interop-net
 * Real TCP plumbing for the interop suite: a server and a client on 127.0.0.1 (port 0), each
 * side's replication stream piped through a {@link LineTap} that records every byte that side
 * writes to its socket, an {@link EventLog} per stream, bounded waits, and a {@link Scope} that
 * closes every socket, server and stream when the test ends.
 */
import type { EventEmitter } from 'node:events';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { TestContext } from 'node:test';

/** Default bound of every wait in this suite, in ms. Generous for CI; a healthy run takes a few ms. */
export const WAIT_MS = 3000;

/** Anything that can sit between two socket pipes: our Duplex or the original's old-style Stream. */
export type Wire = NodeJS.ReadableStream & NodeJS.WritableStream;

/**
 * Owns resources of one test and releases them in reverse order. Register it with
 * `scope(t)`, which calls {@link Scope.close} from `t.after`.
 */
export class Scope {
  readonly #closers: Array<() => void | Promise<void>> = [];

  /** Registers a release function. */
  defer(fn: () => void | Promise<void>): void {
    this.#closers.push(fn);
  }

  /** Destroys a socket and waits for its `close`. */
  socket(socket: Socket): Socket {
    socket.on('error', () => {}); // a reset during teardown is not a test failure
    this.defer(async () => {
      if (socket.closed) return;
      const closed = once(socket, 'close');
      socket.destroy();
      await closed;
    });
    return socket;
  }

  /** Closes a server and waits for it. */
  server(server: Server): Server {
    this.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return server;
  }

  /** Runs every release function, newest first. */
  async close(): Promise<void> {
    while (this.#closers.length > 0) {
      const fn = this.#closers.pop() as () => void | Promise<void>;
      await fn();
    }
  }
}

/** A scope released when test `t` ends (pass or fail). */
export function scope(t: TestContext): Scope {
  const s = new Scope();
  t.after(() => s.close());
  return s;
}

/**
 * A pass-through that records what flows through it: put it between a replication stream and
 * its socket to see exactly what that side writes on the wire.
 */
export class LineTap extends Transform {
  readonly #chunks: Buffer[] = [];

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.#chunks.push(buf);
    callback(null, buf);
  }

  /** Every byte written so far, decoded as UTF-8. */
  get text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }

  /** The complete lines written so far, without their `\n`. */
  lines(): string[] {
    const parts = this.text.split('\n');
    parts.pop(); // the incomplete tail (empty when the text ends with \n)
    return parts;
  }

  /** The complete lines, parsed. */
  messages(): unknown[] {
    return this.lines().map((line) => JSON.parse(line) as unknown);
  }

  /** The update lines (`[change, ts, source, ...]`), parsed. */
  updates(): Array<[unknown, number, string, ...unknown[]]> {
    return this.messages().filter((m): m is [unknown, number, string] => Array.isArray(m));
  }
}

/** Records named events of an emitter from the moment it is created, and waits for counts. */
export class EventLog {
  readonly #seen = new Map<string, unknown[][]>();
  readonly #waiters = new Set<() => void>();

  constructor(emitter: EventEmitter, names: readonly string[]) {
    for (const name of names) {
      this.#seen.set(name, []);
      emitter.on(name, (...args: unknown[]) => {
        (this.#seen.get(name) as unknown[][]).push(args);
        for (const wake of [...this.#waiters]) wake();
      });
    }
  }

  /** How many times `name` fired. */
  count(name: string): number {
    return this.#get(name).length;
  }

  /** The first argument of every `name` event, in order. */
  firstArgs(name: string): unknown[] {
    return this.#get(name).map((args) => args[0]);
  }

  /** Resolves once `name` fired at least `count` times; rejects after `timeoutMs`. */
  wait(name: string, count = 1, timeoutMs = WAIT_MS): Promise<void> {
    this.#get(name);
    if (this.count(name) >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        if (this.count(name) < count) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} '${name}' event(s), saw ${this.count(name)}`));
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }

  #get(name: string): unknown[][] {
    const list = this.#seen.get(name);
    if (list === undefined) throw new Error(`EventLog does not record '${name}'`);
    return list;
  }
}

/** Polls `check` every couple of ms until it is true; fails after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Waits until `Date.now()` is past `ms`, so a later write gets a strictly later wall-clock timestamp. */
export async function waitPastMillisecond(ms: number): Promise<void> {
  await waitFor(() => Date.now() > Math.floor(ms), `Date.now() > ${ms}`, 1000);
}

/** One end of a TCP link. */
export interface Peer<S extends Wire> {
  readonly stream: S;
  readonly socket: Socket;
  /** Everything this side wrote to its socket. */
  readonly written: LineTap;
  /** The stream's protocol events, from creation on. */
  readonly log: EventLog;
}

/** Stream events worth recording on either implementation. */
export const STREAM_EVENTS = ['header', 'syncSent', 'syncRecieved', 'sync', 'synced', 'error', 'end', 'close'] as const;

function wire<S extends Wire>(socket: Socket, stream: S): Peer<S> {
  const log = new EventLog(stream as unknown as EventEmitter, STREAM_EVENTS);
  const written = new LineTap();
  socket.pipe(stream);
  stream.pipe(written).pipe(socket);
  return { stream, socket, written, log };
}

/**
 * Opens a server on 127.0.0.1:0 and connects a client to it. Each side's stream is made by its
 * factory at the moment its socket exists (inside the `connection` callback on the server, right
 * after `connect()` on the client), as the original requires, and piped both ways:
 * `socket → stream → tap → socket`. Sockets, server and streams are released by `s`.
 */
export async function connectOverTcp<A extends Wire, B extends Wire>(
  s: Scope,
  makeServerStream: () => A,
  makeClientStream: () => B,
): Promise<{ server: Peer<A>; client: Peer<B> }> {
  const server = s.server(createServer({ noDelay: true }));
  const accepted = new Promise<Peer<A>>((resolve) => {
    server.once('connection', (socket) => {
      s.socket(socket);
      const peer = wire(socket, makeServerStream());
      destroyStreamOnTeardown(s, peer.stream);
      resolve(peer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const socket = s.socket(netConnect({ port, host: '127.0.0.1', noDelay: true }));
  const client = wire(socket, makeClientStream());
  destroyStreamOnTeardown(s, client.stream);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no TCP connection after ${WAIT_MS} ms`)), WAIT_MS);
  });
  try {
    const [peer] = await Promise.race([Promise.all([accepted, once(socket, 'connect')]), timeout]);
    return { server: peer, client };
  } finally {
    clearTimeout(timer);
  }
}

function destroyStreamOnTeardown(s: Scope, stream: Wire): void {
  s.defer(() => {
    const destroyable = stream as unknown as { destroy?: () => void; destroyed?: boolean };
    if (destroyable.destroyed !== true) destroyable.destroy?.();
  });
}

/** Which end of the TCP link our implementation takes. */
export type Role = 'server' | 'client';

/**
 * Connects one of our streams and one of the original's over TCP, ours taking `oursRole`.
 * Both factories run when their socket exists.
 */
export async function connectOursAndOriginal<O extends Wire, R extends Wire>(
  s: Scope,
  oursRole: Role,
  makeOurs: () => O,
  makeOriginal: () => R,
): Promise<{ ours: Peer<O>; original: Peer<R> }> {
  if (oursRole === 'server') {
    const { server, client } = await connectOverTcp(s, makeOurs, makeOriginal);
    return { ours: server, original: client };
  }
  const { server, client } = await connectOverTcp(s, makeOriginal, makeOurs);
  return { ours: client, original: server };
}
