/**
 * @module net/logger
 * Structured logs: one JSON object per line (`{"time","level","msg",...fields}`), for servers
 * and the CLI. The library itself logs nothing unless given a {@link Logger}.
 */

/** Severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra fields of a log line. Values must be JSON-serialisable. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where the transports and the hub report what happened. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger that drops everything: the default of the library functions. */
export const silentLogger: Logger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
});

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** Lowest level written (default `info`). */
  readonly level?: LogLevel;
  /** Writes one line (default: `console.error`). */
  readonly write?: (line: string) => void;
  /** Fields added to every line. */
  readonly base?: LogFields;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * A logger writing JSON lines: `{"time":"2024-…Z","level":"warn","msg":"peer closed",…}`. An
 * `Error` in the fields is written as its message and code.
 * @param options - level, sink, base fields
 * @returns a {@link Logger}
 * @throws RangeError for an unknown level
 * @example
 * ```ts
 * const log = createJsonLogger({ level: 'debug', write: (line) => process.stderr.write(line) })
 * log.warn('peer closed', { peer: 'tcp:10.0.0.2:51234', code: 'ERR_SB_INVALID_JSON' })
 * ```
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(level in LEVELS)) throw new RangeError(`"level" expected one of ${Object.keys(LEVELS).join(', ')}, got ${String(level)}`);
  const min = LEVELS[level];
  const write = options.write ?? ((line: string) => console.error(line.trimEnd()));
  const now = options.now ?? Date.now;
  const base = options.base ?? {};
  const log =
    (lvl: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (LEVELS[lvl] < min) return;
      const record: Record<string, unknown> = { time: new Date(now()).toISOString(), level: lvl, msg, ...base };
      if (fields !== undefined) for (const key of Object.keys(fields)) record[key] = serialise(fields[key]);
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch {
        line = JSON.stringify({ time: record.time, level: lvl, msg, note: 'fields were not serialisable' });
      }
      write(`${line}\n`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { message: value.message } : { code, message: value.message };
  }
  return value;
}
