import { RArray, Text } from '../dist/entries/array.cjs';
declare const exported: typeof RArray & { readonly default: typeof RArray; readonly RArray: typeof RArray; readonly Text: typeof Text };
export = exported;
