/**
 * @module test/helpers/e2e
 * Plumbing of the end-to-end suite: a teardown registry per test, the CLI and the hub spawned as
 * processes (`node --import tsx src/cli/main.ts ...`, ports from `--port 0`, read back from the
 * `hub listening` log line), bounded waits, a JSON-lines log collector, and a TCP proxy that
 * counts the updates crossing a link in each direction (and can cut it).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LogFields, Logger } from '../../src/net/index.ts';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The default bound of every wait, in ms: generous for a loaded CI machine; a healthy run takes far less. */
export const WAIT_MS = 15_000;

/** Releases a test's resources in reverse order when it ends, pass or fail. */
export class Teardown {
  readonly #fns: Array<() => unknown> = [];

  /** Registers a release function; returns its argument for chaining. */
  add<T>(value: T, release: (value: T) => unknown): T {
    this.#fns.push(() => release(value));
    return value;
  }

  /** Runs every release function, newest first; errors are collected and rethrown after all ran. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.#fns.length > 0) {
      const fn = this.#fns.pop() as () => unknown;
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

/** A {@link Teardown} run from `t.after`. */
export function teardown(t: TestContext): Teardown {
  const td = new Teardown();
  t.after(() => td.run());
  return td;
}

/** A fresh temporary directory, removed at teardown. */
export function tempDir(td: Teardown, prefix = 'sb-e2e-'): string {
  return td.add(mkdtempSync(join(tmpdir(), prefix)), (dir) => rmSync(dir, { recursive: true, force: true }));
}

/** Waits until `check()` is true, polling; fails with `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Waits until the asynchronous `check()` resolves true, polling every 50 ms; fails after `ms`. */
export async function untilAsync(check: () => Promise<boolean>, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects if `promise` takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One parsed JSON log line. */
export type LogRecord = Readonly<Record<string, unknown>> & { readonly level: string; readonly msg: string };

/** A {@link Logger} that keeps records, for in-process servers. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = [];
  debug(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'debug', msg, ...fields });
  }
  info(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'info', msg, ...fields });
  }
  warn(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'warn', msg, ...fields });
  }
  error(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'error', msg, ...fields });
  }
  /** Records whose message is `msg` (and whose fields match `where`). */
  find(msg: string, where: Readonly<Record<string, unknown>> = {}): LogRecord[] {
    return this.records.filter((r) => r.msg === msg && Object.entries(where).every(([k, v]) => r[k] === v));
  }
}

/** Arguments that run the CLI from source with tsx, as `npm start` does (about 0.6 s of startup). */
export function tsxCliArgs(args: readonly string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args];
}

let built: string | null = null;

/**
 * Arguments that run the CLI from a bundle of `src/cli/main.ts` built once per test process with
 * esbuild (packages stay external, resolved from the repository's node_modules): the same code as
 * {@link tsxCliArgs} without tsx's startup, so that the suite can spawn dozens of processes on a
 * small machine. Call {@link buildCli} first (in `before`).
 */
export function cliArgs(args: readonly string[]): string[] {
  if (built === null) throw new Error('call buildCli() in before() first');
  return [built, ...args];
}

/** Bundles the CLI for {@link cliArgs}; removed when the process exits. */
export async function buildCli(): Promise<void> {
  if (built !== null) return;
  const { build } = await import('esbuild');
  const dir = join(ROOT, 'node_modules', '.cache', 'scuttlebutt-e2e');
  mkdirSync(dir, { recursive: true });
  // Bundles of test processes that were killed before their exit hook ran.
  for (const file of readdirSync(dir)) {
    const pid = Number(/^cli-(\d+)\.mjs$/.exec(file)?.[1]);
    if (Number.isInteger(pid) && !isAlive(pid)) rmSync(join(dir, file), { force: true });
  }
  const outfile = join(dir, `cli-${process.pid}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  process.once('exit', () => rmSync(outfile, { force: true }));
  built = outfile;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** At most this many CLI processes start at once: each costs CPU to start, and the machine may have 2 cores. */
const MAX_CONCURRENT_SPAWNS = 3;
let running = 0;
const waiting: Array<() => void> = [];

async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_SPAWNS) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The result of a finished CLI run. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI to completion.
 * @param args - arguments after `scuttlebutt`
 * @param options - environment additions, timeout
 */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number; viaTsx?: boolean } = {},
): Promise<CliResult> {
  return slot(() => spawnCli(args, options));
}

async function spawnCli(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number; viaTsx?: boolean },
): Promise<CliResult> {
  const child = spawn(process.execPath, options.viaTsx ? tsxCliArgs(args) : cliArgs(args), {
    cwd: ROOT,
    env: { ...process.env, SCUTTLEBUTT_TOKEN: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 2 * WAIT_MS);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/** A hub running as a child process. */
export class HubProcess {
  readonly child: ChildProcess;
  readonly logs: LogRecord[] = [];
  /** Lines of stderr that were not JSON. */
  readonly otherStderr: string[] = [];
  httpPort = 0;
  tcpPort = 0;
  id = '';
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess) {
    this.child = child;
    let buffer = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogRecord);
        } catch {
          this.otherStderr.push(line);
        }
        nl = buffer.indexOf('\n');
      }
    });
    this.#exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  /**
   * Spawns `scuttlebutt serve ARGS` (with `--port 0 --tcp-port 0` unless given) and waits for its
   * `hub listening` line.
   */
  static async start(
    td: Teardown,
    args: readonly string[],
    options: { env?: Record<string, string>; viaTsx?: boolean } = {},
  ): Promise<HubProcess> {
    const withPorts = [...args];
    if (!withPorts.includes('--port')) withPorts.push('--port', '0');
    if (!withPorts.includes('--tcp-port') && !withPorts.includes('--no-tcp')) withPorts.push('--tcp-port', '0');
    const child = spawn(process.execPath, options.viaTsx ? tsxCliArgs(['serve', ...withPorts]) : cliArgs(['serve', ...withPorts]), {
      cwd: ROOT,
      env: { ...process.env, SCUTTLEBUTT_TOKEN: '', ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const hub = new HubProcess(child);
    td.add(hub, (h) => h.kill('SIGKILL'));
    const ready = await within(
      Promise.race([
        hub.waitForLog((r) => r.msg === 'hub listening', 'hub listening'),
        hub.#exit.then(({ code }) => {
          throw new Error(`serve exited with ${code}: ${JSON.stringify(hub.logs)} ${hub.otherStderr.join('\n')}`);
        }),
      ]),
      'the hub to listen',
    );
    hub.httpPort = ready.httpPort as number;
    hub.tcpPort = (ready.tcpPort as number | null) ?? 0;
    hub.id = ready.id as string;
    return hub;
  }

  /** `127.0.0.1:HTTPPORT`, for `--hub`. */
  get hub(): string {
    return `127.0.0.1:${this.httpPort}`;
  }

  /** The WebSocket URL. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.httpPort}/ws`;
  }

  /** Waits for a log record matching `predicate`. */
  async waitForLog(predicate: (r: LogRecord) => boolean, what: string, ms = WAIT_MS): Promise<LogRecord> {
    await until(() => this.logs.some(predicate), `log line: ${what}`, ms);
    return this.logs.find(predicate) as LogRecord;
  }

  /** Sends a signal and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.#exit;
  }

  /** Fetches a path of the hub's HTTP port. */
  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.httpPort}${path}`, init);
  }
}

/** Parses one Prometheus sample value: `name{labels} value`, summed over every line matching. */
export function metricValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  if (!found) return Number.NaN;
  return sum;
}

/** The updates that crossed a link in one direction, as `ts:source` strings, in order. */
export type Crossings = string[];

/**
 * A TCP proxy between two hubs that parses the line-JSON in both directions and records every
 * update (by `ts` and `source`). The target can be set after the proxy listens (for a ring, whose
 * last hub is not started yet); until then connections are refused. `cut()` drops every connection.
 */
export class LinkProxy {
  readonly server: Server;
  /** Updates sent from the dialing side (the one with `--peer`) to the target. */
  readonly forward: Crossings = [];
  /** Updates sent from the target back to the dialing side. */
  readonly backward: Crossings = [];
  readonly #sockets = new Set<Socket>();
  #target = 0;
  /** Throttle of the target-to-dialer direction, in bytes per second (Infinity: none). */
  backwardBytesPerSecond = Number.POSITIVE_INFINITY;
  port = 0;

  private constructor() {
    this.server = createServer({ allowHalfOpen: true }, (client) => {
      client.on('error', () => {});
      if (this.#target === 0) {
        client.destroy();
        return;
      }
      const upstream = netConnect({ host: '127.0.0.1', port: this.#target, allowHalfOpen: true });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.#sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      this.#tap(client, upstream, this.forward, () => Number.POSITIVE_INFINITY);
      this.#tap(upstream, client, this.backward, () => this.backwardBytesPerSecond);
    });
  }

  /** Starts a proxy (to `127.0.0.1:targetPort`, or to nothing yet). */
  static async start(td: Teardown, targetPort = 0): Promise<LinkProxy> {
    const proxy = new LinkProxy();
    proxy.#target = targetPort;
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    proxy.port = (proxy.server.address() as { port: number }).port;
    td.add(proxy, (p) => p.close());
    return proxy;
  }

  /** Points the proxy at `127.0.0.1:port`. */
  setTarget(port: number): void {
    this.#target = port;
  }

  #tap(from: Socket, to: Socket, log: Crossings, rate: () => number): void {
    // Bytes are forwarded untouched (a WebSocket's frames are binary); a copy is decoded to find lines.
    const decoder = new StringDecoder('utf8');
    let pending = '';
    from.on('data', (chunk: Buffer) => {
      const bytesPerSecond = rate();
      if (Number.isFinite(bytesPerSecond)) {
        // A slow link: hold the source back for as long as this chunk takes at that rate.
        from.pause();
        setTimeout(() => from.resume(), (chunk.length / bytesPerSecond) * 1000);
      }
      to.write(chunk);
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const start = line.indexOf('[');
        if (start === -1) continue;
        try {
          // Over TCP a line is pure JSON; inside WebSocket frames it follows a few frame bytes.
          const value: unknown = JSON.parse(line.slice(start));
          if (Array.isArray(value) && value.length >= 3) log.push(`${String(value[1])}:${String(value[2])}`);
        } catch {
          // not an update
        }
      }
    });
    from.on('end', () => to.end());
  }

  /** Drops every connection through the proxy. */
  cut(): void {
    for (const s of this.#sockets) s.destroy();
  }

  /** Closes the proxy and its connections. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Whether the `openssl` command is here (the TLS tests make their certificate with it). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A self-signed P-256 certificate for `localhost` and 127.0.0.1, valid one day, written to
 * `dir/cert.pem` and `dir/key.pem`.
 */
export function makeTestCertificate(dir: string): { key: Buffer; cert: Buffer; keyPath: string; certPath: string } {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
    ].concat(['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), keyPath, certPath };
}
