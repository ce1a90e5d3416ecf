'use strict';
// CommonJS entry of scuttlebutt-ts/value: `require('scuttlebutt-ts/value')` returns the class itself, as
// `require('scuttlebutt/value')` did, and also carries it as `.default` and `.Value`.
const { Value } = require('../dist/index.cjs');
for (const name of ['default', 'Value']) {
  if (!Object.prototype.hasOwnProperty.call(Value, name)) Object.defineProperty(Value, name, { value: Value, enumerable: false });
}
module.exports = Value;
