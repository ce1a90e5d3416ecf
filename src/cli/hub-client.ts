/**
 * @module cli/hub-client
 * What `get`, `set`, `watch` and `dump` share: a `Model` replicated with a running hub over
 * WebSocket, a wait for the initial sync (with a progress bar on a TTY), a clean close, and the
 * error message when the hub cannot be reached.
 */
import { readFile } from 'node:fs/promises';
import { Model } from '../models/model.js';
import { errorCode } from '../net/peer-pool.js';
import type { ReconnectingPeer } from '../net/reconnecting-peer.js';
import { connectWebSocket } from '../net/websocket-node.js';
import { type CliIo, DEFAULT_HUB, EXIT, hubUrl, str, TOKEN_ENV, type Values } from './_args.js';
import { ProgressBar } from './progress-bar.js';

/** A client model linked to a hub. */
export interface HubClient {
  readonly model: Model;
  readonly peer: ReconnectingPeer;
  readonly url: string;
}

/** Options of {@link openHubClient}. */
export interface HubClientOptions {
  /** Reconnect after a drop (`watch`); one-shot commands fail fast instead. */
  readonly reconnect: boolean;
}

/**
 * Connects to the hub named by `--hub` (and `--token` or `$SCUTTLEBUTT_TOKEN`) and waits until
 * the initial sync is done.
 * @param values - the parsed options
 * @param io - where the progress bar goes
 * @param options - reconnect
 * @returns the client
 * @throws the error that ended the first attempt (unreachable hub, refused token)
 */
export async function openHubClient(values: Values, io: CliIo, options: HubClientOptions): Promise<HubClient> {
  const url = hubUrl(str(values, 'hub') ?? DEFAULT_HUB);
  const token = str(values, 'token') ?? io.env[TOKEN_ENV];
  const caFile = str(values, 'ca');
  const ca = caFile === undefined ? undefined : await readFile(caFile);
  const model = new Model();
  const peer = connectWebSocket(model, {
    url,
    ...(ca === undefined ? {} : { ca }),
    ...(token === undefined || token === '' ? {} : { token }),
    // Readable even for the commands that only read: our (empty) history and "SYNC" cost one
    // line, and let the hub see a completed sync instead of a peer that left mid-sync.
    reconnect: options.reconnect,
  });
  const bar = io.stderr.isTTY === true ? new ProgressBar(io.stderr) : null;
  if (bar !== null) peer.on('progress', (progress) => bar.update(progress));
  try {
    await peer.whenLive();
  } finally {
    bar?.clear();
  }
  return { model, peer, url };
}

/**
 * Runs a command against the hub: connects (as {@link openHubClient}), calls `use`, and turns a
 * failure of either into one line on stderr and exit 1.
 * @returns `use`'s exit code, or {@link EXIT.FAILURE}
 */
export async function withHubClient(
  values: Values,
  io: CliIo,
  options: HubClientOptions,
  use: (client: HubClient) => number | Promise<number>,
): Promise<number> {
  const url = hubUrl(str(values, 'hub') ?? DEFAULT_HUB);
  try {
    return await use(await openHubClient(values, io, options));
  } catch (error) {
    io.stderr.write(`${describeFailure(error, url)}\n`);
    return EXIT.FAILURE;
  }
}

/**
 * One line for stderr about a failure to reach or use the hub.
 * @param error - the error
 * @param url - the hub's URL
 * @returns the message, without a newline
 */
export function describeFailure(error: unknown, url: string): string {
  if (!(error instanceof Error)) return `scuttlebutt: ${String(error)}`;
  const code = errorCode(error);
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  const hint =
    code === 'ERR_SB_UNAUTHORIZED'
      ? ` (pass --token or set ${TOKEN_ENV})`
      : cause === 'ECONNREFUSED'
        ? ' (is `scuttlebutt serve` running there? --hub names its HTTP port)'
        : '';
  return `scuttlebutt: ${url}: ${error.message} [${code}]${hint}`;
}
