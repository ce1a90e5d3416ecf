/**
 * @module _browser/no-node-stream
 * Stands in for the Node `Duplex` adapter in the browser bundle: `createStream()` needs Node
 * streams, so in a browser it throws a clear error instead of pulling in a polyfill.
 */
import { LocalProtocolError } from '../errors.js';

export class ReplicationStream {
  constructor() {
    throw new LocalProtocolError(
      'ERR_SB_INVALID_ARGUMENT',
      'createStream() returns a Node stream and is not available in browsers; use the WebSocket client of scuttlebutt-ts/net (connectWebSocket) instead',
    );
  }
}
