/**
 * `Events`, the reliable event emitter: events emitted while disconnected arrive on connect, each
 * exactly once. `maxEvents` bounds what is kept.
 * Run: node --import tsx examples/reliable-events.ts
 */
import { once } from 'node:events';
import { Events } from 'scuttlebutt-ts';

const alice = new Events({ id: 'alice', maxEvents: 1000 });
const bob = new Events({ id: 'bob', maxEvents: 1000 });
const heard: string[] = [];
bob.on('chat', (from: string, text: string) => heard.push(`${from}: ${text}`));

alice.emit('chat', 'alice', 'are you there?');
alice.emit('chat', 'alice', 'hello?');

const s = alice.createStream();
const t = bob.createStream();
s.pipe(t).pipe(s);
await once(t, 'sync');
console.log(heard);
if (heard.length !== 2) process.exit(1);
