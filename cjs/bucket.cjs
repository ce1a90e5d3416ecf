'use strict';
// CommonJS entry of scuttlebutt-ts/bucket: `require('scuttlebutt-ts/bucket')` returns the class itself, as
// the original package did, and also carries it as `.default` and `.Bucket`.
const mod = require('../dist/entries/bucket.cjs');
const main = mod.Bucket;
for (const name of ['default', 'Bucket']) {
  const value = name === 'default' ? main : mod[name];
  if (!Object.prototype.hasOwnProperty.call(main, name)) Object.defineProperty(main, name, { value, enumerable: false });
}
module.exports = main;
