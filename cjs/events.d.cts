import { Events } from '../dist/index.cjs';
declare const exported: typeof Events & { readonly default: typeof Events; readonly Events: typeof Events };
export = exported;
