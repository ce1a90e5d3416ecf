import { Value } from '../dist/index.cjs';
declare const exported: typeof Value & { readonly default: typeof Value; readonly Value: typeof Value };
export = exported;
