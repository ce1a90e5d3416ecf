/**
 * @module scuttlebutt-ts (browser)
 * The browser entry: the same models and protocol core, without Node streams. Built into one ES
 * module by `scripts/build-browser.mjs`, which swaps `node:events` for a small emitter and the
 * Node stream adapter for a stub that explains what to use instead.
 */

export { ERROR_CODES, type ErrorCode, isScuttlebuttError, LocalProtocolError, RemoteProtocolError, ScuttlebuttError } from './errors.js';
export { Events, type EventsChange, type EventsOptions } from './models/events.js';
export { Model, type ModelChange } from './models/model.js';
export { Value } from './models/value.js';
// The WebSocket client for browsers (native WebSocket, no Node stream): see docs/net.md.
export { type ConnectionOptions, type ConnectionState, type ConnectionStats, PeerConnection, type SyncProgress } from './net/connection.js';
export { type PeerState, ReconnectingPeer, type ReconnectOptions, type RetryInfo } from './net/reconnecting-peer.js';
export { connectWebSocket, type WebSocketClientOptions, type WebSocketFactory } from './net/websocket-client.js';
export { createWebSocketTransport, type WebSocketLike } from './net/websocket-transport.js';
export type { Durability, StoreOptions } from './persist/durability.js';
// Durable storage in the browser (IndexedDB, localStorage): see docs/persistence.md.
export { type IndexedDBStoreOptions, persistIndexedDB } from './persist/indexeddb.js';
export { type LocalStorageStoreOptions, persistLocalStorage } from './persist/local-storage.js';
export type { CorruptLine, LoadSummary } from './persist/recovery.js';
export { type CompactionReport, PersistentStore, type StoreStats } from './persist/store.js';
export { StoreError, type StoreErrorCode } from './persist/store-error.js';
export { encodeLine, LineDecoder, MessageType } from './protocol/codec.js';
export { NEED_DATA, Session, type SessionEvent, type SessionOptions } from './protocol/session.js';
export type { Clock, Header, Update } from './protocol/update.js';
export { type ChangeProblem, Scuttlebutt, type ScuttlebuttOptions, type SecurityOptions, type VerifyFunction } from './scuttlebutt.js';
export { createId, createId as createID, filter, sort, timestamp } from './util.js';
