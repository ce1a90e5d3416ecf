/**
 * @module scuttlebutt-ts/expiring
 * `ExpiringModel`: a replicated cache with expiry and a size bound (expiry-model 1.0.2's wire),
 * also the default export.
 */
import { ExpiringModel } from '../models/expiring.js';

export type { InferOutput, SchemaOption, StandardSchemaV1 } from '../models/_schema.js';
export {
  DEFAULT_EXPIRY_MAX_AGE_MS,
  DEFAULT_EXPIRY_MAX_SIZE,
  type ExpiringChange,
  ExpiringModel,
  type ExpiringModelOptions,
} from '../models/expiring.js';
export default ExpiringModel;
