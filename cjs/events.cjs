'use strict';
// CommonJS entry of scuttlebutt-ts/events: `require('scuttlebutt-ts/events')` returns the class itself, as
// `require('scuttlebutt/events')` did, and also carries it as `.default` and `.Events`.
const { Events } = require('../dist/index.cjs');
for (const name of ['default', 'Events']) {
  if (!Object.prototype.hasOwnProperty.call(Events, name)) Object.defineProperty(Events, name, { value: Events, enumerable: false });
}
module.exports = Events;
