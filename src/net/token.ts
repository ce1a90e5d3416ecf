/**
 * @module net/token
 * The bearer token of a hub: where a client may put it (`Authorization: Bearer TOKEN`, or
 * `?token=TOKEN` for browsers, which cannot set headers on a WebSocket) and a comparison whose
 * time does not depend on how much of a guess was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The token a request presents, if any.
 * @param req - an HTTP request (or upgrade request)
 * @param url - the request URL, parsed
 * @returns the token from the `Authorization` header, else from `?token=`, else undefined
 * @example
 * ```ts
 * readToken(req, new URL(req.url ?? '/', 'http://localhost'))
 * ```
 */
export function readToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] !== undefined) return match[1];
  }
  return url.searchParams.get('token') ?? undefined;
}

/**
 * Whether `presented` equals `expected`, in time independent of their contents (both are hashed
 * first, so lengths leak nothing either).
 * @param presented - what the client sent (undefined: nothing)
 * @param expected - the hub's token
 * @returns true when they are equal
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
