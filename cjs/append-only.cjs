'use strict';
// CommonJS entry of scuttlebutt-ts/append-only: `require('scuttlebutt-ts/append-only')` returns the class itself, as
// the original package did, and also carries it as `.default` and `.AppendOnly`.
const mod = require('../dist/entries/append-only.cjs');
const main = mod.AppendOnly;
for (const name of ['default', 'AppendOnly']) {
  const value = name === 'default' ? main : mod[name];
  if (!Object.prototype.hasOwnProperty.call(main, name)) Object.defineProperty(main, name, { value, enumerable: false });
}
module.exports = main;
