'use strict';
// CommonJS entry of scuttlebutt-ts/security: `require('scuttlebutt-ts/security')` returns the
// original-compatible `rsa(keys, PRIVATE, PUBLIC)` function, as `require('scuttlebutt/security')`
// did, and carries every other export (ed25519, createAuth, key files…) as properties.
const mod = require('../dist/security/index.cjs');
const main = mod.rsa;
for (const [name, value] of Object.entries(mod)) {
  if (name !== 'rsa' && !Object.prototype.hasOwnProperty.call(main, name)) Object.defineProperty(main, name, { value, enumerable: true });
}
if (!Object.prototype.hasOwnProperty.call(main, 'rsa')) Object.defineProperty(main, 'rsa', { value: main, enumerable: false });
module.exports = main;
