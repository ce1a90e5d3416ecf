/**
 * @module scuttlebutt-ts/value
 * The `Value` class, also as the default export, so `require('scuttlebutt/value')` code only
 * changes its package name.
 */
import { Value } from '../models/value.js';

export { Value };
export default Value;
