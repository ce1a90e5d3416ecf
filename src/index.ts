/**
 * @module scuttlebutt-ts
 * Real-time replication with the scuttlebutt protocol. The single barrel of the public API.
 */

export {
  ERROR_CODES,
  type ErrorCode,
  isScuttlebuttError,
  LocalProtocolError,
  RemoteProtocolError,
  ScuttlebuttError,
} from './errors.js';
export type { StandardSchemaV1 } from './models/_schema.js';
export { Events, type EventsChange, type EventsOptions } from './models/events.js';
export { Model, type ModelChange, type ModelOptions } from './models/model.js';
export { Value, type ValueOptions } from './models/value.js';
export { HybridClock } from './protocol/clock.js';
export { encodeLine, LineDecoder, MessageType } from './protocol/codec.js';
export { HistoryIndex } from './protocol/history.js';
export * as limits from './protocol/limits.js';
export {
  NEED_DATA,
  OUTBOUND_TRANSITIONS,
  type OutboundState,
  Session,
  type SessionEvent,
  type SessionOptions,
} from './protocol/session.js';
export type { Clock, Header, Update } from './protocol/update.js';
export {
  type ChangeProblem,
  Scuttlebutt,
  type ScuttlebuttOptions,
  type SecurityOptions,
  type UpdateSink,
  type VerifyFunction,
} from './scuttlebutt.js';
export { ReplicationStream, type StreamOptions } from './stream/replication-stream.js';
export { createId, createId as createID, filter, filter as updateIsRecent, sort, timestamp } from './util.js';
