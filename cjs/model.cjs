'use strict';
// CommonJS entry of scuttlebutt-ts/model: `require('scuttlebutt-ts/model')` returns the class itself, as
// `require('scuttlebutt/model')` did, and also carries it as `.default` and `.Model`.
const { Model } = require('../dist/index.cjs');
for (const name of ['default', 'Model']) {
  if (!Object.prototype.hasOwnProperty.call(Model, name)) Object.defineProperty(Model, name, { value: Model, enumerable: false });
}
module.exports = Model;
