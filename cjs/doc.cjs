'use strict';
// CommonJS entry of scuttlebutt-ts/doc: `require('scuttlebutt-ts/doc')` returns the class itself, as
// the original package did, and also carries it as `.default` and `.Doc`, with Row Set Seq beside it.
const mod = require('../dist/entries/doc.cjs');
const main = mod.Doc;
for (const name of ['default', 'Doc', 'Row', 'Set', 'Seq']) {
  const value = name === 'default' ? main : mod[name];
  if (!Object.prototype.hasOwnProperty.call(main, name)) Object.defineProperty(main, name, { value, enumerable: false });
}
module.exports = main;
