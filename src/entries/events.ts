/**
 * @module scuttlebutt-ts/events
 * The `Events` class, also as the default export, so `require('scuttlebutt/events')` code only
 * changes its package name.
 */
import { Events } from '../models/events.js';

export { Events };
export default Events;
