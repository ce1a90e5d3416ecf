/**
 * Interop of signed updates with the original `scuttlebutt/security` 5.6.15 over real TCP
 * (issue 5): RSA keys made by `ssh-keygen` exactly as the seed README says, our `rsa()` on one
 * side and the original's security object on the other, ours as server and as client. Our signed
 * updates verify in the original and theirs in ours, history and live; tampering is refused; and a
 * stream of ours with peer authentication never sends the original a proof (which it would take
 * for a broken header).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Model, type Update } from '../../src/index.ts';
import { createAuth, generateKeyPair, loadKeyPair, rsa, rsaId } from '../../src/security/index.ts';
import { connectOursAndOriginal, EventLog, scope, waitFor } from '../helpers/interop-net.ts';
import { asWire, loadOriginal, type OriginalModel } from '../helpers/interop-original.ts';

const require = createRequire(import.meta.url);
type OriginalSecurity = (keys: Record<string, string>, PRIVATE: string, PUBLIC: string) => object;
const originalSecurity = require('scuttlebutt/security') as OriginalSecurity;
const Original = loadOriginal();
const OriginalModelWithOpts = Original.Model as unknown as new (opts: object) => OriginalModel;

interface Keys {
  readonly privatePem: string;
  readonly publicPem: string;
  readonly privatePath: string;
}

let dir = '';
let ours: Keys;
let theirs: Keys;

function hasSshKeygen(): boolean {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as { status?: number }).status !== undefined && (error as { code?: string }).code !== 'ENOENT';
  }
}

/** Makes a key pair the way the seed README says; falls back to the same formats from node:crypto without ssh-keygen. */
function makeKeys(name: string): Keys {
  const privatePath = join(dir, name);
  if (hasSshKeygen()) {
    execFileSync('ssh-keygen', ['-t', 'rsa', '-b', '1024', '-m', 'PEM', '-N', '', '-q', '-f', privatePath]);
    const pem = execFileSync('ssh-keygen', ['-e', '-f', `${privatePath}.pub`, '-m', 'PEM'], { encoding: 'utf8' });
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', `${privatePath}.pem`], { input: pem });
  } else {
    console.log('# ssh-keygen not found (apt-get install -y openssh-client): keys made with node:crypto in the same formats');
    const pair = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });
    execFileSync('sh', ['-c', 'umask 077; cat > "$1"', 'sh', privatePath], { input: pair.privateKeyPem });
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', `${privatePath}.pem`], { input: pair.publicKeyPem });
  }
  return { privatePem: readFileSync(privatePath, 'utf8'), publicPem: readFileSync(`${privatePath}.pem`, 'utf8'), privatePath };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-rsa-interop-'));
  ours = makeKeys('ours');
  theirs = makeKeys('theirs');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const MODEL_EVENTS = ['update', 'unverified_data', 'unauthorized_data', 'invalid', 'error'] as const;

describe('RSA keys from ssh-keygen', () => {
  it('load as they are, and our id is the original id of the same key', async () => {
    assert.match(ours.privatePem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(ours.publicPem, /^-----BEGIN RSA PUBLIC KEY-----\n/);
    const pair = await loadKeyPair(ours.privatePath);
    assert.equal(pair.scheme, 'rsa-sha1');
    assert.equal(pair.publicKeyPem, ours.publicPem, 'the exact bytes of KEY.pem');
    const theirObject = originalSecurity({}, ours.privatePem, ours.publicPem) as { createId(): string };
    assert.equal(pair.id, theirObject.createId());
    assert.equal(rsa({}, ours.privatePem, ours.publicPem).id, rsaId(ours.publicPem));
  });
});

for (const role of ['server', 'client'] as const) {
  describe(`signed updates over TCP: ours (rsa) as ${role}, the original (scuttlebutt/security) as the other end`, () => {
    it('verify both ways, in history and live', async (t) => {
      const s = scope(t);
      const oursSec = rsa({}, ours.privatePem, ours.publicPem);
      const theirsSec = originalSecurity({}, theirs.privatePem, theirs.publicPem) as { createId(): string };
      const keys: Record<string, string> = { [oursSec.id]: ours.publicPem, [theirsSec.createId()]: theirs.publicPem };
      const a = new Model(rsa(keys, ours.privatePem, ours.publicPem));
      const b = new OriginalModelWithOpts(originalSecurity(keys, theirs.privatePem, theirs.publicPem));
      const aEvents = new EventLog(a, MODEL_EVENTS);
      const bEvents = new EventLog(b, MODEL_EVENTS);
      a.set('fromOurs', { nested: [1, 'é'] });
      b.set('fromOriginal', 'hello');
      const link = await connectOursAndOriginal(
        s,
        role,
        () => a.createStream(),
        () => asWire(b.createStream()),
      );
      await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
      await waitFor(() => a.get('fromOriginal') === 'hello' && b.get('fromOurs') !== undefined, 'history both ways');
      a.set('liveOurs', 1);
      b.set('liveOriginal', 2);
      await waitFor(() => a.get('liveOriginal') === 2 && b.get('liveOurs') === 1, 'live both ways');
      assert.deepEqual(b.get('fromOurs'), { nested: [1, 'é'] });
      assert.equal(aEvents.count('unverified_data'), 0);
      assert.equal(bEvents.count('unverified_data'), 0, 'the original verified every update we signed');
      assert.equal(a.securityStats.verified, 2);
      const wire = link.ours.written.updates().find((u) => u[2] === a.id) as unknown[];
      assert.equal(wire.length, 4);
      assert.match(wire[3] as string, /^[A-Za-z0-9+/]+=*$/, 'base64 signature, as the original writes');
    });

    it('each side refuses updates of a source whose key it does not hold, and the clock does not move', async (t) => {
      const s = scope(t);
      const oursSec = rsa({}, ours.privatePem, ours.publicPem);
      const a = new Model(rsa({ [oursSec.id]: ours.publicPem }, ours.privatePem, ours.publicPem));
      const b = new OriginalModelWithOpts(originalSecurity({}, theirs.privatePem, theirs.publicPem));
      const aEvents = new EventLog(a, MODEL_EVENTS);
      const bEvents = new EventLog(b, MODEL_EVENTS);
      a.set('k', 'ours');
      b.set('k', 'theirs');
      const link = await connectOursAndOriginal(
        s,
        role,
        () => a.createStream(),
        () => asWire(b.createStream()),
      );
      await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
      await Promise.all([aEvents.wait('unverified_data'), bEvents.wait('unverified_data')]);
      assert.equal(a.get('k'), 'ours');
      assert.equal(a.sources[b.id], undefined, 'our clock did not move (the original moves its own: bug V2)');
      assert.equal(a.securityStats.unverified, 1);
    });
  });
}

describe('tampering and authentication against the original over TCP', () => {
  it('an original-signed update altered in transit is refused by us', async (t) => {
    const s = scope(t);
    const theirsSec = originalSecurity({}, theirs.privatePem, theirs.publicPem) as { createId(): string };
    const keys = { [theirsSec.createId()]: theirs.publicPem };
    const a = new Model(rsa(keys, ours.privatePem, ours.publicPem));
    const b = new OriginalModelWithOpts(originalSecurity(keys, theirs.privatePem, theirs.publicPem));
    b.set('amount', 1);
    const genuine = b.history()[0] as Update;
    const events = new EventLog(a, MODEL_EVENTS);
    const link = await connectOursAndOriginal(
      s,
      'client',
      () => a.createStream(),
      () => asWire(b.createStream()),
    );
    await link.ours.log.wait('sync');
    assert.equal(a.get('amount'), 1);
    a._update([['amount', 1000], genuine[1] + 1, genuine[2], genuine[3]]);
    assert.equal(events.count('unverified_data'), 1);
    assert.equal(a.get('amount'), 1);
  });

  for (const role of ['server', 'client'] as const) {
    it(`ours with auth (${role}) sends the original no proof; the original syncs, and is an anonymous, read-only peer`, async (t) => {
      const s = scope(t);
      const oursSec = rsa({}, ours.privatePem, ours.publicPem);
      const theirsSec = originalSecurity({}, theirs.privatePem, theirs.publicPem) as { createId(): string };
      const keys = { [oursSec.id]: ours.publicPem, [theirsSec.createId()]: theirs.publicPem };
      const a = new Model({ ...rsa(keys, ours.privatePem, ours.publicPem), auth: createAuth({ security: oursSec }) });
      const b = new OriginalModelWithOpts(originalSecurity(keys, theirs.privatePem, theirs.publicPem));
      const aEvents = new EventLog(a, MODEL_EVENTS);
      a.set('news', 'for everyone');
      b.set('spam', 'from an unauthenticated peer');
      const link = await connectOursAndOriginal(
        s,
        role,
        () => a.createStream(),
        () => asWire(b.createStream()),
      );
      await Promise.all([link.ours.log.wait('sync'), link.original.log.wait('sync')]);
      await aEvents.wait('unauthorized_data');
      await waitFor(() => b.get('news') === 'for everyone', 'the original reads');
      const sent = link.ours.written.messages();
      assert.ok((sent[0] as { auth?: { v: number } }).auth?.v === 1, 'our header carries the offer');
      assert.ok(!sent.some((m) => typeof m === 'object' && m !== null && !Array.isArray(m) && !('clock' in m)), 'no proof message');
      assert.equal(link.original.log.count('error'), 0);
      assert.equal(link.original.log.count('header'), 1);
      assert.equal(a.get('spam'), undefined);
      assert.equal(link.ours.stream.peerId, null);
    });
  }
});
