/**
 * The hub of `scuttlebutt serve`, embedded: HTTP + WebSocket with the page, /healthz and /metrics,
 * raw TCP for the original package's peers, storage (here in memory), graceful shutdown.
 * Run: node --import tsx examples/net-hub.ts
 */
import { Model } from 'scuttlebutt-ts';
import { connectWebSocket, startHub } from 'scuttlebutt-ts/net';

const hub = await startHub({ port: 0, tcpPort: 0, dataDir: null }); // dataDir: './data' persists
console.log('page at', hub.urls.http, '- WebSocket at', hub.urls.ws, '- TCP at', hub.urls.tcp);

const client = new Model('client');
const peer = connectWebSocket(client, { url: hub.urls.ws });
await peer.whenLive();
client.set('visits', 1);
await new Promise<void>((resolve) => hub.model.once('change:visits', () => resolve()));

const health = (await (await fetch(new URL('/healthz', hub.urls.http))).json()) as { keys: number };
console.log('healthz keys:', health.keys);
const metrics = await (await fetch(new URL('/metrics', hub.urls.http))).text();
console.log(metrics.split('\n').find((line) => line.startsWith('scuttlebutt_model_keys ')));

await peer.close();
await hub.close(); // ends every connection after its queued output, flushes storage
