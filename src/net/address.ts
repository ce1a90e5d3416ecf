/**
 * @module net/address
 * `host:port` strings, as the CLI takes them (`--peer`, `--hub`) and as logs print them.
 */

/** A parsed `host:port`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Formats a host and port as `host:port`, with brackets around an IPv6 host.
 * @param host - a host name or address (undefined: `unknown`)
 * @param port - a port
 * @returns `host:port` or `[v6]:port`
 * @example
 * ```ts
 * formatAddress('::1', 8471) // '[::1]:8471'
 * ```
 */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host ?? 'unknown';
  return h.includes(':') ? `[${h}]:${port ?? 0}` : `${h}:${port ?? 0}`;
}

/**
 * Parses `host:port`, `[v6]:port`, `:port` (host `127.0.0.1`) or a bare port.
 * @param text - the string to parse
 * @param name - the option name, for the error message
 * @returns the host and port
 * @throws RangeError for a missing or invalid port
 * @example
 * ```ts
 * parseHostPort('hub.example:8471') // { host: 'hub.example', port: 8471 }
 * ```
 */
export function parseHostPort(text: string, name = 'address'): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`"${name}" expected HOST:PORT with a port in 1..65535, got ${JSON.stringify(text)}`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/**
 * Whether a host is a loopback interface (reachable only from this machine).
 * @param host - a host name or address
 * @returns true for `localhost`, `127.0.0.0/8` and `::1`
 */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
