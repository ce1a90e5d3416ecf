/**
 * @module cli/serve
 * `scuttlebutt serve`: runs a hub until SIGINT or SIGTERM, then shuts down gracefully (every
 * connection ends after its queued output, storage is flushed and closed) and exits 0. Logs are
 * JSON lines on stderr; the `hub listening` line has the bound ports (useful with `--port 0`).
 */
import { readFile } from 'node:fs/promises';
import { startHub } from '../hub/hub.js';
import { createJsonLogger, type LogLevel } from '../net/logger.js';
import type { Durability } from '../persist/index.js';
import { createAuth, loadKeyPair, securityFor } from '../security/index.js';
import {
  type CliIo,
  type Command,
  EXIT,
  flag,
  list,
  parse,
  parseDuration,
  parseMs,
  parsePort,
  parsePositiveInt,
  str,
  TOKEN_ENV,
  UsageError,
} from './_args.js';

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'tcp-port': { type: 'string' },
  'tcp-host': { type: 'string' },
  'no-tcp': { type: 'boolean' },
  data: { type: 'string' },
  memory: { type: 'boolean' },
  durability: { type: 'string' },
  peer: { type: 'string', multiple: true },
  token: { type: 'string' },
  'max-peers': { type: 'string' },
  'relay-delay-ms': { type: 'string' },
  'tombstone-ttl': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'peer-ca': { type: 'string' },
  id: { type: 'string' },
  key: { type: 'string' },
  writer: { type: 'string', multiple: true },
  'require-auth': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How long a graceful shutdown may take before the process exits anyway, in ms. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** The `serve` command. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run a hub: HTTP + WebSocket (8470), raw TCP (8471), a web page, data in ./data',
  help: `Usage: scuttlebutt serve [options]

Runs a hub holding one Model: WebSocket peers at ws://HOST:PORT/ws, a web page at http://HOST:PORT/
that shows the model live and lets you edit it, /healthz and /metrics (Prometheus), and raw
line-JSON TCP peers (the original scuttlebutt package's wire) on the TCP port. The model is stored
in DIR/model.jsonl and reloaded on start. SIGINT/SIGTERM shut down gracefully (exit 0).

Options:
  --host HOST          interface to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --port PORT          HTTP + WebSocket port (default 8470; 0: any free port)
  --tcp-port PORT      raw TCP port (default 8471; 0: any free port)
  --tcp-host HOST      interface of the TCP port (default: --host)
  --no-tcp             no raw TCP port
  --data DIR           data directory (default ./data)
  --memory             keep the model in memory only (no data directory)
  --durability MODE    fsync (default), batch or none: when writes reach the disk
  --peer HOST:PORT     link with another hub's TCP port (repeatable): hubs form a mesh
  --token TOKEN        require this bearer token from HTTP/WebSocket clients (default: $${TOKEN_ENV});
                       /healthz needs none, the page asks for it
  --max-peers N        most connections at once, TCP and WebSocket together (default 1024)
  --relay-delay-ms MS  wait before relaying another hub's update to a third (default 25; 0: never),
                       so that in a ring of hubs no update crosses a link twice
  --tombstone-ttl D    collect deletions after D (500, 45s, 12h, 30d; default: keep forever); peers
                       that come back later get a reset (a full snapshot) and drop the deleted keys
  --tls-cert FILE      serve over TLS (HTTPS + WSS, TLS on the TCP port) with this PEM certificate
  --tls-key FILE       and this PEM private key (both or neither)
  --peer-ca FILE       dial the --peer hubs over TLS, trusting this PEM CA certificate
  --id ID              the hub model's id (default: random, then kept in DIR/id)
  --writer ID          peer authentication on: only peers that prove this id (made by
                       "scuttlebutt keygen") may write; others are read-only (repeatable)
  --key FILE           the hub's own private key, to prove its id to peers that ask
  --require-auth       close connections whose peer does not authenticate
  -q, --quiet          log warnings and errors only
  -v, --verbose        log debug lines too
  -h, --help           show this help

Logs are JSON lines on stderr. The "hub listening" line has httpPort and tcpPort.

Examples:
  scuttlebutt serve
  scuttlebutt serve --host 0.0.0.0 --token s3cret --peer hub-b.example:8471
`,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (flag(values, 'help')) {
      io.stdout.write(this.help);
      return EXIT.OK;
    }
    if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got ${JSON.stringify(positionals[0])}`);
    if (flag(values, 'quiet') && flag(values, 'verbose')) throw new UsageError('--quiet and --verbose exclude each other');
    if (flag(values, 'memory') && str(values, 'data') !== undefined) throw new UsageError('--memory and --data exclude each other');
    if (flag(values, 'no-tcp') && str(values, 'tcp-port') !== undefined) throw new UsageError('--no-tcp and --tcp-port exclude each other');
    const durability = str(values, 'durability');
    if (durability !== undefined && !['fsync', 'batch', 'none'].includes(durability)) {
      throw new UsageError(`--durability expected fsync, batch or none, got ${JSON.stringify(durability)}`);
    }
    const level: LogLevel = flag(values, 'quiet') ? 'warn' : flag(values, 'verbose') ? 'debug' : 'info';
    // Nobody reading the logs any more (a closed pipe: EPIPE) is no reason to stop serving, and
    // must not turn every later log line into an uncaught exception.
    let logsBroken = false;
    io.stderr.on('error', () => {
      logsBroken = true;
    });
    const logger = createJsonLogger({
      level,
      write: (line) => {
        if (logsBroken) return;
        try {
          io.stderr.write(line);
        } catch {
          logsBroken = true;
        }
      },
    });
    const port = str(values, 'port');
    const tcpPort = str(values, 'tcp-port');
    const maxPeers = str(values, 'max-peers');
    const relayDelay = str(values, 'relay-delay-ms');
    const tombstoneTtl = str(values, 'tombstone-ttl');
    const tlsCert = str(values, 'tls-cert');
    const tlsKey = str(values, 'tls-key');
    const peerCa = str(values, 'peer-ca');
    if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
    const token = str(values, 'token') ?? io.env[TOKEN_ENV];
    const host = str(values, 'host');
    const tcpHost = str(values, 'tcp-host');
    const data = str(values, 'data');
    const id = str(values, 'id');
    const writers = list(values, 'writer');
    const keyFile = str(values, 'key');
    let hub: Awaited<ReturnType<typeof startHub>>;
    try {
      // Peer authentication (issue 5): only when asked, since anonymous clients (the page, `set`)
      // then become read-only.
      const auth =
        writers.length > 0 || keyFile !== undefined || flag(values, 'require-auth')
          ? createAuth({
              security: keyFile === undefined ? null : securityFor(await loadKeyPair(keyFile)),
              required: flag(values, 'require-auth'),
              ...(writers.length > 0 ? { writers } : {}),
              onAuthenticated: (peerId) => logger.info('peer authenticated', { peerId }),
            })
          : undefined;
      const tls =
        tlsCert === undefined || tlsKey === undefined ? undefined : { cert: await readFile(tlsCert), key: await readFile(tlsKey) };
      hub = await startHub({
        ...(auth === undefined ? {} : { auth }),
        ...(tls === undefined ? {} : { tls }),
        ...(peerCa === undefined ? {} : { peerTls: { ca: await readFile(peerCa) } }),
        logger,
        ...(host === undefined ? {} : { host }),
        ...(tcpHost === undefined ? {} : { tcpHost }),
        ...(port === undefined ? {} : { port: parsePort('port', port) }),
        ...(flag(values, 'no-tcp') ? { tcpPort: null } : tcpPort === undefined ? {} : { tcpPort: parsePort('tcp-port', tcpPort) }),
        ...(flag(values, 'memory') ? { dataDir: null } : data === undefined ? {} : { dataDir: data }),
        ...(durability === undefined ? {} : { durability: durability as Durability }),
        peers: list(values, 'peer'),
        ...(token === undefined || token === '' ? {} : { token }),
        ...(maxPeers === undefined ? {} : { maxPeers: parsePositiveInt('max-peers', maxPeers) }),
        ...(relayDelay === undefined ? {} : { relayDelayMs: parseMs('relay-delay-ms', relayDelay) }),
        ...(tombstoneTtl === undefined ? {} : { tombstoneTtlMs: parseDuration('tombstone-ttl', tombstoneTtl) }),
        ...(id === undefined ? {} : { id }),
      });
    } catch (error) {
      if (error instanceof UsageError || error instanceof RangeError) throw new UsageError(error.message);
      const code = (error as { code?: unknown }).code;
      logger.error('the hub failed to start', { code: typeof code === 'string' ? code : 'ERR_UNKNOWN', error: error as Error });
      return EXIT.FAILURE;
    }

    // A server must outlive a bug in one request: log it, keep serving.
    let reporting = false;
    const onUncaught = (error: unknown): void => {
      if (reporting) return; // an error while reporting one: do not loop
      reporting = true;
      try {
        logger.error('uncaught exception (a bug): the hub keeps running', { error: error instanceof Error ? error : String(error) });
      } finally {
        reporting = false;
      }
    };
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) {
          logger.warn('second signal: exiting now', { signal });
          resolve(EXIT.FAILURE);
          return;
        }
        stopping = true;
        logger.info('signal received', { signal });
        const timer = setTimeout(() => {
          logger.error('graceful shutdown timed out; exiting', { timeoutMs: SHUTDOWN_TIMEOUT_MS });
          resolve(EXIT.FAILURE);
        }, SHUTDOWN_TIMEOUT_MS);
        timer.unref();
        hub.close().then(
          () => {
            clearTimeout(timer);
            resolve(EXIT.OK);
          },
          (error: unknown) => {
            logger.error('graceful shutdown failed', { error: error instanceof Error ? error : String(error) });
            resolve(EXIT.FAILURE);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
  },
};
