/**
 * @module scuttlebutt-ts/doc
 * `Doc` with its `Row`, `Set` and `Seq` views: crdt 3.6.4's API and wire, with deletions that
 * replicate. `Doc` is also the default export (`require('crdt')` returned Doc).
 */
import { Doc } from '../models/doc/doc.js';

export type { InferOutput, SchemaOption, StandardSchemaV1 } from '../models/_schema.js';
export { Doc, type DocChange, type DocOptions } from '../models/doc/doc.js';
export { Row } from '../models/doc/row.js';
export { Seq } from '../models/doc/seq.js';
export { RowSet, RowSet as Set, type SetFilter } from '../models/doc/set.js';
export default Doc;
