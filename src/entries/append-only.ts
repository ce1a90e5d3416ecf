/**
 * @module scuttlebutt-ts/append-only
 * `AppendOnly`: a replicated log with removals that reach replicas that were away (append-only
 * 0.2.3's wire), also the default export.
 */
import { AppendOnly } from '../models/append-only.js';

export type { InferOutput, SchemaOption, StandardSchemaV1 } from '../models/_schema.js';
export { AppendOnly, type AppendOnlyChange, type AppendOnlyOptions, itemId, parseItemId } from '../models/append-only.js';
export default AppendOnly;
