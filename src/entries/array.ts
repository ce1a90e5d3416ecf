/**
 * @module scuttlebutt-ts/array
 * `RArray` (a replicated list, r-array 0.5.3's API and wire) and `Text` (replicated plain text
 * on it, bindable to a `<textarea>`). `RArray` is also the default export, so
 * `require('r-array')` code only changes its package name.
 */
import { RArray } from '../models/array.js';

export type { InferOutput, SchemaOption, StandardSchemaV1 } from '../models/_schema.js';
export { type ArrayChange, RArray, type RArrayOptions } from '../models/array.js';
export { Text, type TextareaLike, type TextOptions } from '../models/text.js';
export default RArray;
