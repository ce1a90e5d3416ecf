/**
 * @module cli/_args
 * Shared pieces of the CLI: the I/O a command gets, usage errors, argument parsing on
 * `node:util` `parseArgs`, and the options every client command takes (`--hub`, `--token`).
 */
import { parseArgs } from 'node:util';
import { parseHostPort } from '../net/address.js';

/** What a command reads and writes; the process's streams in `main.ts`, buffers in tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
}

/** A command of the CLI. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /**
   * Runs the command.
   * @returns the exit code
   */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** A mistake in the command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** The default hub of the client commands: the local one. */
export const DEFAULT_HUB = '127.0.0.1:8470';

/** The environment variable of the token. */
export const TOKEN_ENV = 'SCUTTLEBUTT_TOKEN';

type OptionSpec = { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string };

/** Parsed options, read with {@link str}, {@link flag} and {@link list}. */
export type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/**
 * `parseArgs` in strict mode, with its errors turned into {@link UsageError}.
 * @param argv - the arguments after the command name
 * @param options - the option specs
 * @returns values and positionals
 * @throws UsageError for an unknown option or a missing value
 */
export function parse(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): { values: Values; positionals: string[] } {
  try {
    const result = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: result.values, positionals: result.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A string option, or undefined. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean option (false when absent). */
export function flag(values: Values, name: string): boolean {
  return values[name] === true;
}

/** A repeatable string option (empty when absent). */
export function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

/**
 * Parses a port option.
 * @param name - the option, for the message
 * @param text - its value
 * @returns the port, 0 to 65535 (0: any free port)
 * @throws UsageError when it is not such an integer
 */
export function parsePort(name: string, text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--${name} expected a port 0..65535, got ${JSON.stringify(text)}`);
  return port;
}

/**
 * Parses a duration option in milliseconds.
 * @param name - the option, for the message
 * @param text - its value
 * @returns the integer, 0 to 3 600 000
 * @throws UsageError otherwise
 */
export function parseMs(name: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > 3_600_000)
    throw new UsageError(`--${name} expected milliseconds 0..3600000, got ${JSON.stringify(text)}`);
  return n;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration: milliseconds, or a whole number with a unit `ms`, `s`, `m`, `h` or `d`
 * (`30d`, `12h`).
 * @throws UsageError otherwise
 */
export function parseDuration(name: string, text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  const ms = match === null ? Number.NaN : Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 'ms'] as number);
  if (!Number.isSafeInteger(ms))
    throw new UsageError(`--${name} expected a duration such as 500, 45s, 15m, 12h or 30d, got ${JSON.stringify(text)}`);
  return ms;
}

/**
 * Parses a positive integer option.
 * @param name - the option, for the message
 * @param text - its value
 * @returns the integer (>= 1)
 * @throws UsageError otherwise
 */
export function parsePositiveInt(name: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} expected an integer >= 1, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * The WebSocket URL of a hub given as `HOST:PORT` (its HTTP port) or as a URL.
 * @param hub - `--hub`
 * @returns `ws://HOST:PORT/ws`
 * @throws UsageError for something else
 */
export function hubUrl(hub: string): string {
  if (/^(wss?|https?):\/\//.test(hub)) {
    const url = new URL(hub);
    if (url.protocol === 'http:') url.protocol = 'ws:';
    if (url.protocol === 'https:') url.protocol = 'wss:';
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
    return url.toString();
  }
  try {
    const { host, port } = parseHostPort(hub, 'hub');
    return `ws://${host.includes(':') ? `[${host}]` : host}:${port}/ws`;
  } catch (error) {
    throw new UsageError((error as Error).message.replace('"hub"', '--hub'));
  }
}

/**
 * Parses a command-line VALUE: JSON when it parses as JSON, else the string itself.
 * @param text - the argument
 * @returns the value
 * @example
 * ```ts
 * parseValue('42') // 42
 * parseValue('{"a":1}') // { a: 1 }
 * parseValue('hello') // 'hello'
 * ```
 */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The `--hub` and `--token` help lines every client command shares. */
/** The options of the commands that talk to a hub (`get`, `set`, `dump`; `watch` adds its own). */
export const CLIENT_OPTIONS = {
  hub: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CLIENT_OPTIONS_HELP = `  --hub HOST:PORT   the hub's HTTP port (default ${DEFAULT_HUB}); a ws://, wss://, http:// or https:// URL works too
  --token TOKEN     bearer token of a hub started with --token (default: $${TOKEN_ENV})
  --ca FILE         for a wss:// or https:// hub: a PEM CA certificate to trust (a self-signed hub)
  -h, --help        show this help`;
