/**
 * Signed updates and authenticated peers over TLS (THREAT_MODEL.md: signatures give integrity and
 * authorship; confidentiality needs TLS). A self-signed certificate is made at run time with
 * `openssl`. The server lets only the client's id write; both sides bind their auth proofs to the
 * TLS session (exported keying material), so a relayed handshake would not verify.
 * Run: node --import tsx examples/tls-signed.ts
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { Model } from 'scuttlebutt-ts';
import { createAuth, ed25519, type Security } from 'scuttlebutt-ts/security';

const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
try {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
} catch {
  console.log('openssl is needed to make a test certificate (apt-get install -y openssl)');
  process.exit(0);
}
const key = readFileSync(join(dir, 'key.pem'));
const cert = readFileSync(join(dir, 'cert.pem'));
rmSync(dir, { recursive: true });

const serverKey = ed25519(); // in production: securityFor(await loadKeyPair('./keys/scuttlebutt-ed25519'))
const clientKey = ed25519();
const server = new Model(serverKey);
const client = new Model(clientKey);

/** The same 32 bytes on both ends of one TLS session, and unknown to anyone else. */
const binding = (socket: TLSSocket) => socket.exportKeyingMaterial(32, 'scuttlebutt-ts auth', Buffer.alloc(0));
const auth = (security: Security, socket: TLSSocket, writers: string[]) =>
  createAuth({ security, writers, channelBinding: binding(socket), required: true });

const tls = createServer({ key, cert }, (socket) => {
  const stream = server.createStream({ auth: auth(serverKey, socket, [clientKey.id]) });
  stream.on('authenticated', (id) => console.log('server: peer proved it is', id.slice(0, 20), '…'));
  socket.pipe(stream).pipe(socket);
});
tls.listen(0, '127.0.0.1');
await once(tls, 'listening');
const { port } = tls.address() as { port: number };

const socket = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: cert });
await once(socket, 'secureConnect');
const stream = client.createStream({ auth: auth(clientKey, socket, [serverKey.id]) });
socket.pipe(stream).pipe(socket);
await once(stream, 'sync');

client.set('greeting', 'hello over TLS, signed');
await new Promise<void>((resolve) => server.once('update', () => resolve()));
const [, , source, signature] = server.history()[0] ?? [];
console.log('server got:', server.get('greeting'), `(from ${String(source).slice(0, 20)}…, signature ${String(signature).slice(0, 16)}…)`);
console.log('unverified:', server.securityStats.unverified, 'unauthorized:', server.securityStats.unauthorized);

socket.destroy();
tls.close();
