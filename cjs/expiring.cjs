'use strict';
// CommonJS entry of scuttlebutt-ts/expiring: `require('scuttlebutt-ts/expiring')` returns the class itself, as
// the original package did, and also carries it as `.default` and `.ExpiringModel`.
const mod = require('../dist/entries/expiring.cjs');
const main = mod.ExpiringModel;
for (const name of ['default', 'ExpiringModel']) {
  const value = name === 'default' ? main : mod[name];
  if (!Object.prototype.hasOwnProperty.call(main, name)) Object.defineProperty(main, name, { value, enumerable: false });
}
module.exports = main;
