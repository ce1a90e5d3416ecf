/**
 * A client that stays up: the server goes away and comes back on the same port; the client
 * reconnects with exponential backoff and jitter, and both sides exchange what they missed.
 * Run: node --import tsx examples/net-reconnect.ts
 */
import { Model } from 'scuttlebutt-ts';
import { connect, listen, type RetryInfo } from 'scuttlebutt-ts/net';

const server = new Model('server');
let tcp = await listen(server, { port: 0 });
const port = tcp.port;

const client = new Model('client');
const peer = connect(client, { port, initialDelayMs: 50, maxDelayMs: 500 });
peer.on('state', (state) => console.log('state:', state));
peer.on('retry', (info: RetryInfo) => console.log(`retry ${info.attempt} in ${info.delayMs} ms`));
await peer.whenLive();

await tcp.close(); // the server goes away
client.set('writtenWhileApart', true);
await new Promise((resolve) => setTimeout(resolve, 300));
tcp = await listen(server, { port }); // and comes back
await new Promise<void>((resolve) => server.once('change:writtenWhileApart', () => resolve()));
console.log('server caught up:', server.get('writtenWhileApart'));

await peer.close();
await tcp.close();
