import { Doc, Row, Set, Seq } from '../dist/entries/doc.cjs';
declare const exported: typeof Doc & { readonly default: typeof Doc; readonly Doc: typeof Doc; readonly Row: typeof Row; readonly Set: typeof Set; readonly Seq: typeof Seq };
export = exported;
