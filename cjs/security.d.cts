import * as security from '../dist/security/index.cjs';
declare const exported: typeof security.rsa & Omit<typeof security, 'default'> & { readonly default: typeof security.rsa };
export = exported;
