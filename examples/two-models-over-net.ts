/**
 * The seed's first example: two Models replicating over a TCP socket, one stream per connection,
 * with `pipeline` so an error on either side closes both (the seed's "Errors" advice, built in).
 * Run: node --import tsx examples/two-models-over-net.ts
 */
import { once } from 'node:events';
import net from 'node:net';
import { pipeline } from 'node:stream';
import { Model } from 'scuttlebutt-ts';

const server = new Model('server');
const client = new Model('client');
server.set('greeting', 'hello from the server');

const tcp = net.createServer((socket) => {
  // One stream for EACH connection.
  pipeline(socket, server.createStream(), socket, () => {});
});
tcp.listen(0, '127.0.0.1');
await once(tcp, 'listening');
const { port } = tcp.address() as net.AddressInfo;

const socket = net.connect(port, '127.0.0.1');
const stream = client.createStream();
pipeline(socket, stream, socket, () => {});
await once(stream, 'sync');
console.log('client sees:', client.get('greeting'));

const arrived = once(server, 'change:answer');
client.set('answer', 42);
await arrived;
console.log('server sees:', server.get('answer'));

if (client.get('greeting') !== 'hello from the server' || server.get('answer') !== 42) process.exit(1);
socket.destroy();
tcp.close();
