/**
 * @module net/limits
 * The defaults of every time and size a transport enforces, with the reason for each value. The
 * protocol's own limits (line length, queued output, clock size) are in `protocol/limits.ts`;
 * these are the ones that only make sense once there is a socket and a wall clock.
 */
import { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from '../protocol/limits.js';

/**
 * How long a link may be silent in our direction before we send a keep-alive line: 10 s.
 * The keep-alive is the JSON line `0`, a value every scuttlebutt peer ignores (the original drops
 * numbers silently, original-behaviour.md §1.2), never a blank line (which crashes the original).
 * 10 s is well under the 30 s {@link DEFAULT_IDLE_TIMEOUT_MS} of our clients and under the
 * 60 s idle timeouts of common proxies (nginx `proxy_read_timeout`, AWS ALB).
 */
export const DEFAULT_KEEP_ALIVE_MS = 10_000;

/**
 * How long a client waits for any byte from the server before it declares the link dead and
 * reconnects: 30 s, three missed keep-alives. Servers do not apply it by default: the original
 * package sends no keep-alives, so a quiet original client would be cut off; they rely on TCP
 * keep-alive and WebSocket pings instead.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * How long an accepted connection may take to send its header: 10 s. Without it, a flood of
 * connections that say nothing (slowloris) would hold `maxPeers` slots forever. A real peer sends
 * its header in its first packet.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * How long output may stay blocked (the peer reads nothing) before the connection is dropped:
 * 30 s. While blocked, memory for that peer is bounded by {@link DEFAULT_HIGH_WATER_MARK_BYTES}
 * plus the session's `maxBufferedBytes`; this limit frees even that for a reader that never comes
 * back.
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/**
 * Bytes handed to a socket and not yet written before we stop producing output for it: 256 KiB.
 * Like a Node stream's `highWaterMark` (16 KiB) but sized for one history chunk of
 * `DEFAULT_MAX_CHUNK_BYTES` UTF-16 units (up to 192 KiB of UTF-8) to be in flight whole. Worst
 * case per peer: this plus one chunk.
 */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 256 * 1024;

/**
 * Largest WebSocket message accepted: one maximal line plus four chunks (1.25 MiB). A message
 * carries whole lines; ours are at most one chunk of `DEFAULT_MAX_CHUNK_BYTES` UTF-16 units (up to
 * 3 bytes each in UTF-8) plus one line, so this never refuses a compliant peer. ws closes the
 * socket with 1009 above it, before buffering the message (ws defaults to 100 MiB).
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = DEFAULT_MAX_MESSAGE_BYTES + 4 * DEFAULT_MAX_CHUNK_BYTES;

/**
 * Most connections a server holds at once: 1024. Each costs a session (a few KiB) plus up to
 * {@link DEFAULT_HIGH_WATER_MARK_BYTES} and `maxBufferedBytes` of output while its reader is slow,
 * so 1024 bounds the worst case at a few GiB; raise it for a hub with many browser clients.
 */
export const DEFAULT_MAX_PEERS = 1024;

/** First reconnect delay of a client: 250 ms. */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 250;

/** Longest reconnect delay of a client: 30 s, so a hub that comes back is found within 30 s. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 30_000;

/** How long a client's dial (TCP connect or WebSocket opening handshake) may take: 10 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The timing options every connection takes. `Infinity` disables one. */
export interface ConnectionTimeouts {
  /** Send a keep-alive line after this long without output (default {@link DEFAULT_KEEP_ALIVE_MS}). */
  readonly keepAliveMs: number;
  /** Close the link after this long without input (clients: {@link DEFAULT_IDLE_TIMEOUT_MS}; servers: `Infinity`). */
  readonly idleTimeoutMs: number;
  /** Close the link if the peer's header has not arrived after this long ({@link DEFAULT_HANDSHAKE_TIMEOUT_MS}). */
  readonly handshakeTimeoutMs: number;
  /** Close the link after output stayed blocked this long ({@link DEFAULT_DRAIN_TIMEOUT_MS}). */
  readonly drainTimeoutMs: number;
}
