/**
 * @module scuttlebutt-ts/model
 * The `Model` class, also as the default export, so `require('scuttlebutt/model')` code only
 * changes its package name.
 */
import { Model } from '../models/model.js';

export { Model };
export default Model;
