/**
 * @module scuttlebutt-ts/bucket
 * `Bucket`: several named models over one stream (scuttlebucket 0.2.3's wire), also the default
 * export.
 */
import { Bucket } from '../models/bucket.js';

export { Bucket, type BucketChange, type BucketOptions } from '../models/bucket.js';
export default Bucket;
