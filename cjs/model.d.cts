import { Model } from '../dist/index.cjs';
declare const exported: typeof Model & { readonly default: typeof Model; readonly Model: typeof Model };
export = exported;
