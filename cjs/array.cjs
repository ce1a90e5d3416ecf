'use strict';
// CommonJS entry of scuttlebutt-ts/array: `require('scuttlebutt-ts/array')` returns the class itself, as
// the original package did, and also carries it as `.default` and `.RArray`, with Text beside it.
const mod = require('../dist/entries/array.cjs');
const main = mod.RArray;
for (const name of ['default', 'RArray', 'Text']) {
  const value = name === 'default' ? main : mod[name];
  if (!Object.prototype.hasOwnProperty.call(main, name)) Object.defineProperty(main, name, { value, enumerable: false });
}
module.exports = main;
