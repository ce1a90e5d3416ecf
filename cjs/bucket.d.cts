import { Bucket } from '../dist/entries/bucket.cjs';
declare const exported: typeof Bucket & { readonly default: typeof Bucket; readonly Bucket: typeof Bucket };
export = exported;
