/**
 * @module scuttlebutt-ts/net
 * Networking for Node: TCP (and TLS) servers and reconnecting clients, WebSocket servers and
 * clients, and the hub that `scuttlebutt serve` runs. The same WebSocket client works in
 * browsers from the browser bundle (`connectWebSocket`, with the native `WebSocket`).
 *
 * @example
 * ```ts
 * import { Model } from 'scuttlebutt-ts'
 * import { connect, listen } from 'scuttlebutt-ts/net'
 *
 * const server = await listen(new Model(), { port: 8471 })
 * const peer = connect(new Model(), { port: server.port })
 * await peer.whenLive()
 * ```
 */

export { DEFAULT_DATA_DIR, DEFAULT_HUB_PORT, DEFAULT_HUB_TCP_PORT, type Hub, type HubOptions, startHub } from '../hub/hub.js';
export { type HubStorage, memoryStorage } from '../hub/storage.js';
export { formatAddress, type HostPort, isLoopback, parseHostPort } from './address.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export {
  type ConnectionOptions,
  type ConnectionState,
  type ConnectionStats,
  KEEP_ALIVE_LINE,
  PeerConnection,
  type SyncProgress,
} from './connection.js';
export type { ConnectionTimeouts } from './limits.js';
export * as netLimits from './limits.js';
export { createJsonLogger, type JsonLoggerOptions, type LogFields, type Logger, type LogLevel, silentLogger } from './logger.js';
export { type Authorize, type PeerInfo, PeerPool, type PeerPoolOptions, type PeerRights, type PoolTotals } from './peer-pool.js';
export { type Dial, type PeerState, ReconnectingPeer, type ReconnectOptions, type RetryInfo } from './reconnecting-peer.js';
export { createSocketTransport, type SocketTransportOptions } from './socket-transport.js';
export { type ConnectOptions, connect, type ListenOptions, listen, type TcpServer } from './tcp.js';
export type { Transport, TransportHandlers } from './transport.js';
export { browserWebSocketFactory, type WebSocketClientOptions, type WebSocketFactory, withToken } from './websocket-client.js';
export { connectWebSocket, nodeWebSocketFactory } from './websocket-node.js';
export {
  attachWebSocketServer,
  createWebSocketEndpoint,
  listenWebSocket,
  type WebSocketEndpoint,
  type WebSocketServerHandle,
  type WebSocketServerOptions,
} from './websocket-server.js';
export { createWebSocketTransport, type WebSocketLike, type WebSocketTransportOptions } from './websocket-transport.js';
