/**
 * Two Models over TCP with `scuttlebutt-ts/net`: `listen` gives each connection its own stream
 * with every error handled; `connect` dials, reconnects, and says where it is.
 * Run: node --import tsx examples/net-tcp.ts
 */
import { Model } from 'scuttlebutt-ts';
import { connect, listen } from 'scuttlebutt-ts/net';

const server = new Model('server');
server.set('greeting', 'hello over TCP');
const tcp = await listen(server, { port: 0 }); // 127.0.0.1, any free port

const client = new Model('client');
const peer = connect(client, { port: tcp.port });
peer.on('state', (state) => console.log('client is', state)); // syncing, live, closed
await peer.whenLive();
console.log('client sees:', client.get('greeting'));

client.set('answer', 42);
await new Promise<void>((resolve) => server.once('change:answer', () => resolve()));
console.log('server sees:', server.get('answer'));

await peer.close();
await tcp.close();
