/**
 * A WebSocket server with a token, and a Node client: the same protocol as TCP, one or more lines
 * per message. A wrong token is refused with HTTP 401 before the upgrade, and not retried.
 * Run: node --import tsx examples/net-websocket.ts
 */
import { Model } from 'scuttlebutt-ts';
import { connectWebSocket, listenWebSocket } from 'scuttlebutt-ts/net';

const hubModel = new Model('hub');
hubModel.set('motd', 'welcome');
const server = await listenWebSocket(hubModel, { port: 0, token: 's3cret' });
console.log('listening on', server.url);

const intruder = connectWebSocket(new Model(), { url: server.url, token: 'guess' });
intruder.on('close', (error) => console.log('wrong token:', (error as { code?: string } | null)?.code));

const client = new Model('client');
const peer = connectWebSocket(client, { url: server.url, token: 's3cret' });
await peer.whenLive();
console.log('client sees:', client.get('motd'));

await peer.close();
await server.close();
