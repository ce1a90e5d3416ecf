import { AppendOnly } from '../dist/entries/append-only.cjs';
declare const exported: typeof AppendOnly & { readonly default: typeof AppendOnly; readonly AppendOnly: typeof AppendOnly };
export = exported;
