/**
 * @module net/websocket-node
 * The WebSocket client for Node: {@link connectWebSocket} of `websocket-client.ts` with sockets
 * from the `ws` package (Node 20 has no global `WebSocket`), which can send the token as an
 * `Authorization: Bearer` header and limit the size of incoming messages.
 */
import { WebSocket } from 'ws';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './limits.js';
import type { ReconnectingPeer } from './reconnecting-peer.js';
import { connectWebSocket as connectWith, type WebSocketClientOptions, type WebSocketFactory } from './websocket-client.js';
import type { WebSocketLike } from './websocket-transport.js';

/**
 * A factory of `ws` sockets: the token goes in the `Authorization` header, messages are limited
 * to `maxPayloadBytes`, compression is off.
 * @param maxPayloadBytes - largest message accepted (default 1.25 MiB)
 * @param ca - for `wss://`: the CA certificate (PEM) to trust besides the system's
 * @returns a {@link WebSocketFactory}
 */
export function nodeWebSocketFactory(maxPayloadBytes: number = DEFAULT_MAX_PAYLOAD_BYTES, ca?: string | Buffer): WebSocketFactory {
  return (url, token) =>
    new WebSocket(url, {
      maxPayload: maxPayloadBytes,
      perMessageDeflate: false,
      ...(ca === undefined ? {} : { ca }),
      ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }),
    }) as unknown as WebSocketLike;
}

/**
 * Replicates `model` with a hub over WebSocket, from Node; same contract as the TCP
 * {@link connect}: reconnects with backoff, idle timeout, states and progress.
 * @param model - the model to replicate
 * @param options - the URL (`ws://HOST:PORT/ws` or `wss://…`), token, `ca` for a hub whose
 *   certificate is not signed by a system CA, reconnect and connection options
 * @returns the peer, already dialing
 * @throws TypeError for a URL that is not ws:// or wss://
 * @example
 * ```ts
 * const peer = connectWebSocket(model, { url: 'ws://127.0.0.1:8470/ws', token: process.env.SCUTTLEBUTT_TOKEN })
 * await peer.whenLive()
 * ```
 */
export function connectWebSocket(
  model: Scuttlebutt,
  options: WebSocketClientOptions & { readonly maxPayloadBytes?: number; readonly ca?: string | Buffer },
): ReconnectingPeer {
  const { maxPayloadBytes, ca, ...rest } = options;
  return connectWith(model, { createSocket: nodeWebSocketFactory(maxPayloadBytes, ca), ...rest });
}
