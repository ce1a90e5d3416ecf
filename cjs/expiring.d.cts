import { ExpiringModel } from '../dist/entries/expiring.cjs';
declare const exported: typeof ExpiringModel & { readonly default: typeof ExpiringModel; readonly ExpiringModel: typeof ExpiringModel };
export = exported;
