/**
 * @module hub/routes
 * The hub's HTTP routes: `/` (the page; token), `/scuttlebutt.js` (the browser bundle, no token:
 * it is the public library), `/healthz` (no token), `/metrics` (Prometheus text; token). Anything
 * else is 404; a method other than GET or HEAD is 405. The WebSocket upgrade at `/ws` is handled
 * by the server's `upgrade` event, not here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readToken, tokenMatches } from '../net/token.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { renderPage, renderTokenPage } from './page.js';

/** What the routes serve. */
export interface RouteContext {
  /** The required bearer token, if any. */
  readonly token: string | undefined;
  /** The browser bundle and its source map (null when absent). */
  readonly bundle: { readonly code: string; readonly map: string | null };
  /** The body of `/healthz`. */
  health(): Readonly<Record<string, unknown>>;
  /** The body of `/metrics`. */
  metrics(): string;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const;

/** Content-Security-Policy of the page: scripts only from this origin (the bundle) and the page's own inline module. */
const PAGE_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:";

/**
 * Builds the request handler.
 * @param ctx - what to serve
 * @returns a `(req, res)` handler for `http.createServer`
 */
export function createRequestHandler(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const authorized = ctx.token === undefined || tokenMatches(readToken(req, url), ctx.token);
    switch (url.pathname) {
      case '/healthz':
        send(res, 200, 'application/json', `${JSON.stringify(ctx.health())}\n`);
        return;
      case '/scuttlebutt.js':
        send(res, 200, 'text/javascript; charset=utf-8', ctx.bundle.code);
        return;
      case '/scuttlebutt.js.map':
        if (ctx.bundle.map === null) send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
        else send(res, 200, 'application/json', ctx.bundle.map);
        return;
      case '/':
        if (!authorized) send(res, 401, 'text/html; charset=utf-8', renderTokenPage(url.searchParams.has('token')));
        else send(res, 200, 'text/html; charset=utf-8', renderPage(), { 'Content-Security-Policy': PAGE_CSP });
        return;
      case '/metrics':
        if (!authorized) send(res, 401, 'text/plain; charset=utf-8', 'a bearer token is required\n', { 'WWW-Authenticate': 'Bearer' });
        else send(res, 200, PROMETHEUS_CONTENT_TYPE, ctx.metrics());
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  };
}
