/**
 * @module tcp
 * Full sync over a real TCP socket on 127.0.0.1: the server holds N keys
 * (`net.createServer(sock => sock.pipe(a.createStream()).pipe(sock))`), a client with an empty
 * model connects the same way; timed from `connect` until both streams emitted `sync`.
 * Yjs has no stream transport of its own to compare here.
 */
import net from 'node:net';
import { expectCount, expectValue, keyOf } from '../lib/data.ts';
import { floorVariant } from '../lib/floor.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';
import { eventOnce, fill, type Impl, ORIGINAL, OURS, type StreamLike } from '../lib/replicas.ts';

type Duplexish = StreamLike & NodeJS.WritableStream;

function modelVariant(impl: Impl): Variant {
  return {
    name: impl.name,
    async open(n: number): Promise<Subject> {
      const a = impl.createModel();
      fill(a, n);
      let onConnection: ((stream: StreamLike, socket: net.Socket) => void) | undefined;
      const server = net.createServer((socket) => {
        const stream = a.createStream();
        onConnection?.(stream, socket);
        socket.pipe(stream as Duplexish);
        stream.pipe(socket as unknown as StreamLike);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      return {
        prepare() {
          const b = impl.createModel();
          const sockets: net.Socket[] = [];
          const streams: StreamLike[] = [];
          const serverSynced = new Promise<void>((resolve) => {
            onConnection = (stream, socket) => {
              sockets.push(socket);
              streams.push(stream);
              eventOnce(stream, 'sync').then(resolve);
            };
          });
          return {
            async run() {
              const socket = net.connect(port, '127.0.0.1');
              sockets.push(socket);
              const stream = b.createStream();
              streams.push(stream);
              const clientSynced = eventOnce(stream, 'sync');
              socket.pipe(stream as Duplexish);
              stream.pipe(socket as unknown as StreamLike);
              await Promise.all([clientSynced, serverSynced]);
              return undefined;
            },
            check() {
              expectCount(b.keys().length, n, `${impl.name} client`);
              expectValue(b.get(keyOf(n - 1)), n - 1, `${impl.name} client`);
            },
            async done() {
              const closed = sockets.map((socket) => eventOnce(socket, 'close'));
              for (const socket of sockets) socket.destroy();
              for (const stream of streams) stream.destroy();
              await Promise.all(closed);
              b.dispose();
            },
          };
        },
        async close() {
          a.dispose();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
      };
    },
  };
}

export const tcp: Workload = {
  id: 'tcp',
  title: 'full sync over TCP',
  unit: 'ms',
  sizeLabel: 'N',
  sizes: { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] },
  target: { ratio: 0.2, at: 100_000, text: '≤ 0.2×, linear' },
  // The original queues history that does not fit the socket in an array drained with shift():
  // quadratic, about 9 minutes at 1M.
  slow: { original: 1_000_000 },
  variants: [modelVariant(OURS), modelVariant(ORIGINAL), floorVariant((n) => n)],
};
