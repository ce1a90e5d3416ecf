import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Model, type Update } from '../../src/index.ts';
import { decodeBase64url, encodeBase64url } from '../../src/security/_base64url.ts';
import securityDefault, {
  createAccessPolicy,
  ED25519_ID_PREFIX,
  ed25519,
  ed25519Id,
  ed25519Verifier,
  encodeCanonical,
  generateKeyPair,
  keyPairFromPem,
  loadKeyPair,
  loadKeyPairFromEnv,
  loadKeyPairSync,
  nobleEd25519,
  publicKeyFromId,
  rsa,
  rsaId,
  type Security,
  securityFor,
  updateSigningBytes,
  webCryptoEd25519,
  writeKeyPair,
} from '../../src/security/index.ts';
import { until } from '../helpers/streams.ts';

/** Small RSA keys keep the tests fast; the scheme is the same at any size. */
const rsaPair = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });
const rsaOther = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });
const rsaThird = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Signs `[change, ts, source]` as `security` would inside localUpdate. */
function signed(security: Security, change: unknown, ts: number, source = security.id): Update {
  const update: Update = [change, ts, source];
  update.push(security.sign(update));
  return update;
}

/** Feeds a hostile update; asserts it was refused, counted, and left the model and clock unchanged. */
function assertRefused(model: Model, update: Update, what: string): void {
  const before = { state: plain(model.toJSON()), clock: plain(model.sources), unverified: model.securityStats.unverified };
  const seen: unknown[] = [];
  const listener = (u: unknown) => seen.push(u);
  model.on('unverified_data', listener);
  model._update(update);
  model.off('unverified_data', listener);
  assert.equal(seen.length, 1, `${what}: one unverified_data`);
  assert.equal(model.securityStats.unverified, before.unverified + 1, `${what}: counted`);
  assert.deepEqual(plain(model.toJSON()), before.state, `${what}: model unchanged`);
  assert.deepEqual(plain(model.sources), before.clock, `${what}: clock unchanged`);
}

describe('security', () => {
  describe('encodeCanonical()', () => {
    it('sorts object keys by UTF-16 code units at every depth and keeps array order', () => {
      assert.equal(encodeCanonical({ b: 1, a: { d: [3, { z: 0, y: 1 }], c: 2 } }), '{"a":{"c":2,"d":[3,{"y":1,"z":0}]},"b":1}');
      assert.equal(encodeCanonical({ '10': 1, '9': 2, é: 3, Z: 4, '𝄞': 5, ﬀ: 6 }), '{"10":1,"9":2,"Z":4,"é":3,"𝄞":5,"ﬀ":6}');
    });

    it('is independent of insertion order, and equal to JSON.stringify for arrays and scalars', () => {
      assert.equal(encodeCanonical({ x: 1, y: 2 }), encodeCanonical({ y: 2, x: 1 }));
      const scalars = [0, -0, 1.5, 1700000000000.001, 1e300, 5e-324, 'a"\\\n\u2028😀', true, null, [1, 'x', [null]]];
      for (const value of scalars) assert.equal(encodeCanonical(value), JSON.stringify(value));
    });

    it('handles the values JSON.stringify handles specially, the way it does', () => {
      assert.equal(encodeCanonical([undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY]), '[null,null,null,null]');
      assert.equal(encodeCanonical({ a: undefined, b: () => 1, c: 1 }), '{"c":1}');
      assert.equal(encodeCanonical(new Date(0)), JSON.stringify(new Date(0)));
      assert.equal(encodeCanonical(undefined), 'null');
      assert.equal(encodeCanonical('\ud800'), '"\\ud800"');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.throws(() => encodeCanonical(cyclic), TypeError);
      assert.throws(() => encodeCanonical(1n), TypeError);
    });

    it('update signing bytes start with the context line and cover only [change, ts, source]', () => {
      const text = new TextDecoder().decode(updateSigningBytes([{ b: 1, a: 2 }, 5, 'S', 'sig', 'extra']));
      assert.equal(text, 'scuttlebutt-ts/update/v1\n[{"a":2,"b":1},5,"S"]');
    });
  });

  describe('base64url', () => {
    it('round-trips every length and refuses non-canonical spellings', () => {
      for (let n = 0; n < 70; n++) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
        const text = encodeBase64url(bytes);
        assert.equal(text, Buffer.from(bytes).toString('base64url'));
        assert.deepEqual(decodeBase64url(text, n), bytes);
      }
      const text = encodeBase64url(new Uint8Array(32).fill(255)); // ends in 'w': 4 unused bits are 0
      assert.equal(decodeBase64url(`${text.slice(0, -1)}x`, 32), null, 'non-zero unused bits');
      assert.equal(decodeBase64url(`${text}=`, 32), null, 'padding');
      assert.equal(decodeBase64url(text.replace(/./, '+'), 32), null, 'base64, not base64url');
      assert.equal(decodeBase64url(42, 32), null);
    });
  });

  describe('ed25519()', () => {
    it('derives a self-certifying id from the public key, and a model takes it', () => {
      const security = ed25519();
      assert.ok(security.id.startsWith(ED25519_ID_PREFIX));
      assert.equal(security.id.length, 51);
      assert.equal(security.createId(), security.id);
      const raw = publicKeyFromId(security.id) as Uint8Array;
      const spki = createPublicKey(security.publicKey).export({ format: 'jwk' });
      assert.equal(spki.x, encodeBase64url(raw), 'publicKey PEM and id hold the same key');
      assert.equal(ed25519Id(raw), security.id);
      assert.equal(new Model(security).id, security.id);
    });

    it('takes a PEM, a KeyObject, a seed or a key pair, all giving the same id', () => {
      const pair = generateKeyPair();
      const { privateKey } = generateKeyPairSync('ed25519');
      const fromObject = ed25519(privateKey);
      const fromPem = ed25519(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      assert.equal(fromObject.id, fromPem.id);
      const seed = new Uint8Array(32).fill(7);
      assert.equal(ed25519(seed).id, ed25519({ privateKey: seed }).id);
      assert.equal(ed25519(pair).id, pair.id);
    });

    it('refuses keys of another type with ERR_SB_INVALID_KEY', () => {
      assert.throws(() => ed25519(rsaPair.privateKeyPem), { code: 'ERR_SB_INVALID_KEY' });
      assert.throws(() => ed25519(rsaPair), { code: 'ERR_SB_INVALID_KEY' });
      assert.throws(() => ed25519(new Uint8Array(31)), { code: 'ERR_SB_INVALID_KEY' });
      assert.throws(() => ed25519('not a key'), { code: 'ERR_SB_INVALID_KEY' });
    });

    it('signs and verifies a round trip; the signature is 86 base64url characters', () => {
      const security = ed25519();
      const update = signed(security, ['k', { nested: [1, 'é'] }], 1700000000000.001);
      assert.match(update[3] as string, /^[A-Za-z0-9_-]{86}$/);
      let verdict: boolean | undefined;
      ed25519Verifier().verify(update, (_e, ok) => {
        verdict = ok;
      });
      assert.equal(verdict, true, 'verified synchronously by anyone, with no key exchange');
    });

    it('verifies a change whose object keys arrive in another order (canonical encoding)', () => {
      const security = ed25519();
      const update = signed(security, ['k', { a: 1, b: 2, '2': 'x' }], 5);
      const reordered: Update = [['k', { b: 2, '2': 'x', a: 1 }], 5, update[2], update[3]];
      let verdict: boolean | undefined;
      security.verify(reordered, (_e, ok) => {
        verdict = ok;
      });
      assert.equal(verdict, true);
    });

    it('works with a noble-style backend and verifies asynchronously with WebCrypto', async () => {
      // A noble-shaped implementation over node:crypto, to test the adapter without the dependency.
      const { nodeEd25519 } = await import('../../src/security/node-ed25519.ts');
      const fakeNoble = {
        getPublicKey: (secret: Uint8Array) => nodeEd25519.signer(secret).publicKey,
        sign: (message: Uint8Array, secret: Uint8Array) => nodeEd25519.signer(secret).sign(message),
        verify: (sig: Uint8Array, message: Uint8Array, pub: Uint8Array) => nodeEd25519.verify(pub, message, sig) as boolean,
      };
      const seed = new Uint8Array(32).fill(3);
      const viaNoble = ed25519({ privateKey: seed, backend: nobleEd25519(fakeNoble) });
      assert.equal(viaNoble.id, ed25519(seed).id);
      const update = signed(viaNoble, ['k', 1], 9);
      const reader = ed25519Verifier({ backend: webCryptoEd25519() });
      // Two independent WebCrypto verifications may complete in either order: key them by call.
      const verdicts: Record<string, boolean> = {};
      reader.verify(update, (_e, ok) => {
        verdicts.genuine = ok === true;
      });
      reader.verify([['k', 2], 9, update[2], update[3]], (_e, ok) => {
        verdicts.altered = ok === true;
      });
      assert.deepEqual(verdicts, {}, 'asynchronous');
      await until(() => Object.keys(verdicts).length === 2);
      assert.deepEqual(verdicts, { genuine: true, altered: false });
      assert.throws(() => ed25519({ backend: webCryptoEd25519() }), { code: 'ERR_SB_INVALID_KEY' }, 'WebCrypto cannot sign synchronously');
      assert.throws(() => nobleEd25519({} as never), TypeError);
    });

    it('a model verifying with WebCrypto applies a source in order', async () => {
      const writer = ed25519();
      const reader = new Model({ id: 'R', verify: ed25519Verifier({ backend: webCryptoEd25519() }).verify });
      const now = Date.now();
      const u1 = signed(writer, ['k', 1], now - 3);
      const forged: Update = [['k', 'forged'], now - 2, writer.id, u1[3]];
      const u3 = signed(writer, ['k', 3], now - 1);
      reader._update(u1);
      reader._update(forged);
      reader._update(u3);
      await until(() => reader.securityStats.verified + reader.securityStats.unverified === 3);
      assert.equal(reader.get('k'), 3);
      assert.equal(reader.sources[writer.id], now - 1);
      assert.deepEqual(reader.securityStats, { verified: 2, unverified: 1, unauthorized: 0, verifyRetries: 0 });
    });
  });

  describe('attacks on ed25519 updates: refused, counted, model and clock unchanged', () => {
    const victim = ed25519();
    const attacker = ed25519();
    const now = Date.now();
    const genuine = signed(victim, ['k', 'genuine'], now - 100);
    const fresh = () => {
      const m = new Model(ed25519());
      m._update(genuine);
      assert.equal(m.get('k'), 'genuine');
      return m;
    };

    it('forged: the victim id signed with another key', () => {
      assertRefused(fresh(), signed(attacker, ['k', 'forged'], now - 50, victim.id), 'forged');
    });

    it('forged with a far-future timestamp does not block the victim (bug V2)', () => {
      const m = fresh();
      assertRefused(m, signed(attacker, ['k', 'forged'], now + 50_000, victim.id), 'future forged');
      m._update(signed(victim, ['k', 'later'], now - 10));
      assert.equal(m.get('k'), 'later');
    });

    it('stripped: no signature', () => {
      assertRefused(fresh(), [['k', 'stripped'], now - 50, victim.id], 'stripped');
    });

    it('truncated, padded or re-encoded signatures', () => {
      const u = signed(victim, ['k', 'x'], now - 50);
      const sig = u[3] as string;
      assertRefused(fresh(), [u[0], u[1], u[2], sig.slice(0, -2)], 'truncated');
      assertRefused(fresh(), [u[0], u[1], u[2], `${sig}==`], 'padded');
      assertRefused(fresh(), [u[0], u[1], u[2], Buffer.from(sig, 'base64url').toString('base64')], 'base64 instead of base64url');
      assertRefused(fresh(), [u[0], u[1], u[2], 12345], 'not a string');
    });

    it('replayed: a signature moved to another timestamp; an exact replay is old data', () => {
      const m = fresh();
      assertRefused(m, [['k', 'genuine'], now - 40, victim.id, genuine[3]], 'signature on another ts');
      const oldData: unknown[] = [];
      m.on('old_data', (u) => oldData.push(u));
      assert.equal(m._update([...genuine] as Update), false);
      assert.equal(oldData.length, 1);
    });

    it('altered: the change modified after signing', () => {
      const u = signed(victim, ['k', { amount: 1 }], now - 50);
      assertRefused(fresh(), [['k', { amount: 1000 }], u[1], u[2], u[3]], 'altered value');
      assertRefused(fresh(), [['other', { amount: 1 }], u[1], u[2], u[3]], 'altered key');
    });

    it('extra elements after the signature are refused (nothing unsigned rides along)', () => {
      const u = signed(victim, ['k', 'x'], now - 50);
      assertRefused(fresh(), [...u, 'extra'] as Update, 'extra element');
    });

    it('an id that does not match the key, or is not an ed25519 id at all', () => {
      const u = signed(attacker, ['k', 'x'], now - 50);
      assertRefused(fresh(), [u[0], u[1], victim.id, u[3]], 'id of another key');
      assertRefused(fresh(), [u[0], u[1], `${attacker.id}A`, u[3]], 'id too long');
      assertRefused(fresh(), [u[0], u[1], 'X'.repeat(51), u[3]], 'no prefix');
      assertRefused(fresh(), [u[0], u[1], `${ED25519_ID_PREFIX}${'_'.repeat(43)}`, u[3]], 'not a point / non-canonical');
    });

    it('an update in our own name from a peer is verified too (the original trusted it)', () => {
      const me = ed25519();
      const m = new Model(me);
      m.set('k', 'mine');
      assertRefused(m, [['k', 'injected'], Date.now() + 10, me.id], 'unsigned, in our name');
      assertRefused(m, signed(attacker, ['k', 'injected'], Date.now() + 10, me.id), 'signed by another key, in our name');
      assert.equal(m.get('k'), 'mine');
    });

    it('a pending asynchronous verification of a forgery does not make a real update look old', async () => {
      const m = new Model({
        id: 'M',
        verify: (u: Update, cb: (err: unknown, ok?: boolean) => void) => setTimeout(() => ed25519Verifier().verify(u, cb), 5),
      });
      const forged = signed(attacker, ['k', 'forged'], now + 20_000, victim.id);
      const real = signed(victim, ['k', 'real'], now - 5);
      m._update(forged);
      assert.equal(m._update(real), true, 'queued behind the forgery, not dropped as old data');
      await until(() => m.securityStats.verified + m.securityStats.unverified === 2);
      assert.equal(m.get('k'), 'real');
      assert.equal(m.sources[victim.id], now - 5);
    });

    it('a wrong key type: an RSA-signed update sent to an ed25519 model', () => {
      const legacy = rsa({}, rsaPair.privateKeyPem, rsaPair.publicKeyPem);
      assertRefused(fresh(), signed(legacy, ['k', 'rsa'], now - 50), 'rsa update');
    });
  });

  describe('rsa()', () => {
    it('reproduces the original: id = base64 SHA-1 of the PEM bytes, RSA-SHA1 over JSON.stringify', () => {
      assert.equal(rsaId(''), '2jmj7l5rSw0yVb/vlWAYkK/YBwk=');
      const security = rsa({}, rsaPair.privateKeyPem, rsaPair.publicKeyPem);
      assert.equal(security.id, rsaPair.id);
      assert.equal(security.createId(), rsaId(rsaPair.publicKeyPem));
      assert.equal(security.publicKey, rsaPair.publicKeyPem);
      assert.equal(securityDefault, rsa, 'the default export, like require("scuttlebutt/security")');
      const update = signed(security, ['hello', { world: true }], 1700000000000);
      const keys = { [security.id]: rsaPair.publicKeyPem };
      let verdict: boolean | undefined;
      rsa(keys).verify(update, (_e, ok) => {
        verdict = ok;
      });
      assert.equal(verdict, true);
    });

    it('keys may be a Map; learnKey adds only a key that hashes to the id', () => {
      const keys = new Map<string, string>();
      const security = rsa(keys, rsaPair.privateKeyPem, rsaPair.publicKeyPem);
      assert.equal(security.learnKey(rsaOther.id, rsaPair.publicKeyPem), false);
      assert.equal(security.learnKey(rsaOther.id, rsaOther.publicKeyPem), true);
      assert.equal(keys.get(rsaOther.id), rsaOther.publicKeyPem);
    });

    it('refuses forged, stripped, truncated, altered, unknown-source and wrong-key-type updates', () => {
      const author = rsa({}, rsaPair.privateKeyPem, rsaPair.publicKeyPem);
      const other = rsa({}, rsaOther.privateKeyPem, rsaOther.publicKeyPem);
      const ed = ed25519();
      const keys: Record<string, string> = { [author.id]: rsaPair.publicKeyPem, [ed.id]: ed.publicKey };
      const now = Date.now();
      const fresh = () => new Model({ ...rsa(keys, rsaThird.privateKeyPem, rsaThird.publicKeyPem) });
      const u = signed(author, ['k', 'v'], now - 50);
      assertRefused(fresh(), signed(other, ['k', 'forged'], now - 50, author.id), 'forged');
      assertRefused(fresh(), [u[0], u[1], u[2]], 'stripped (the source is popped as the signature)');
      assertRefused(fresh(), [u[0], u[1], u[2], (u[3] as string).slice(0, 40)], 'truncated');
      assertRefused(fresh(), [['k', 'changed'], u[1], u[2], u[3]], 'altered');
      assertRefused(fresh(), [u[0], u[1] + 1, u[2], u[3]], 'replayed on another ts');
      assertRefused(fresh(), signed(other, ['k', 'x'], now - 50), 'unknown source');
      assertRefused(fresh(), signed(ed, ['k', 'x'], now - 50), 'a key of the wrong type in keys');
      assertRefused(fresh(), [u[0], u[1], 'constructor', u[3]], 'a source named like an Object.prototype member');
      const m = fresh();
      m._update(u);
      assert.equal(m.get('k'), 'v');
    });

    it('without a private key it only verifies; sign throws ERR_SB_INVALID_KEY', () => {
      assert.throws(() => rsa({}).sign([1, 2, 'x']), { code: 'ERR_SB_INVALID_KEY' });
      assert.throws(() => rsa({}, 'garbage', 'x').sign([1, 2, 'x']), { code: 'ERR_SB_INVALID_KEY' });
    });
  });

  describe('key pairs', () => {
    it('generateKeyPair: ed25519 by default, RSA in the formats of ssh-keygen -m PEM', () => {
      const ed = generateKeyPair();
      assert.equal(ed.scheme, 'ed25519');
      assert.match(ed.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(ed.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
      assert.match(rsaPair.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
      assert.match(rsaPair.publicKeyPem, /^-----BEGIN RSA PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END RSA PUBLIC KEY-----\n$/);
      assert.throws(() => generateKeyPair({ scheme: 'rsa-sha1', bits: 512 }), RangeError);
      assert.throws(() => generateKeyPair({ scheme: 'dsa' as never }), TypeError);
    });

    it('keyPairFromPem checks that the public key belongs to the private key', () => {
      assert.equal(keyPairFromPem(rsaPair.privateKeyPem).id, rsaPair.id, 'the derived PEM is the one ssh-keygen prints');
      assert.throws(() => keyPairFromPem(rsaPair.privateKeyPem, rsaOther.publicKeyPem), { code: 'ERR_SB_INVALID_KEY' });
      assert.throws(() => keyPairFromPem('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n'), {
        code: 'ERR_SB_INVALID_KEY',
        message: /ssh-keygen -p -m PEM/,
      });
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      assert.throws(() => keyPairFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), { code: 'ERR_SB_INVALID_KEY' });
    });

    it('securityFor gives the scheme of the pair', () => {
      assert.equal(securityFor(rsaPair).scheme, 'rsa-sha1');
      const ed = generateKeyPair();
      assert.equal(securityFor(ed).id, ed.id);
    });
  });

  describe('key files', () => {
    const withDir = async (fn: (dir: string) => Promise<void>) => {
      const dir = await mkdtemp(join(tmpdir(), 'sb-keys-'));
      try {
        await fn(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };

    it('writeKeyPair writes the private key 0600 in a 0700 directory, and loadKeyPair reads it back', async () => {
      await withDir(async (root) => {
        const dir = join(root, 'keys');
        const written = await writeKeyPair(dir);
        assert.equal((await stat(dir)).mode & 0o777, 0o700);
        assert.equal((await stat(written.privateKeyPath)).mode & 0o777, 0o600);
        assert.equal((await stat(written.publicKeyPath)).mode & 0o777, 0o644);
        assert.equal(written.privateKeyPath, join(dir, 'scuttlebutt-ed25519'));
        assert.equal(written.publicKeyPath, join(dir, 'scuttlebutt-ed25519.pem'));
        const loaded = await loadKeyPair(written.privateKeyPath);
        assert.equal(loaded.id, written.id);
        assert.equal(loadKeyPairSync(written.privateKeyPath).id, written.id);
        assert.equal(new Model(securityFor(loaded)).id, written.id);
      });
    });

    it('never clobbers a key unless asked; overwrite replaces it atomically with mode 0600', async () => {
      await withDir(async (dir) => {
        const first = await writeKeyPair(dir, { scheme: 'rsa-sha1', bits: 1024, name: 'node' });
        await assert.rejects(writeKeyPair(dir, { name: 'node' }), { code: 'ERR_SB_INVALID_KEY' });
        assert.equal((await loadKeyPair(first.privateKeyPath)).id, first.id, 'unchanged');
        const second = await writeKeyPair(dir, { name: 'node', overwrite: true });
        assert.notEqual(second.id, first.id);
        assert.equal((await stat(second.privateKeyPath)).mode & 0o777, 0o600);
        assert.equal((await loadKeyPair(second.privateKeyPath)).scheme, 'ed25519');
        await assert.rejects(writeKeyPair(dir, { name: '../escape' }), RangeError);
      });
    });

    it('refuses a private key readable by others unless allowed', async () => {
      await withDir(async (dir) => {
        const path = join(dir, 'loose');
        await writeFile(path, generateKeyPair().privateKeyPem, { mode: 0o644 });
        await assert.rejects(loadKeyPair(path), { code: 'ERR_SB_INVALID_KEY', message: /chmod 600/ });
        assert.equal((await loadKeyPair(path, { allowInsecurePermissions: true })).scheme, 'ed25519');
      });
    });

    it('loadKeyPair uses the exact bytes of NAME.pem for an RSA id', async () => {
      await withDir(async (dir) => {
        const written = await writeKeyPair(dir, { keyPair: rsaPair });
        assert.equal(await readFile(written.publicKeyPath, 'utf8'), rsaPair.publicKeyPem);
        assert.equal((await loadKeyPair(written.privateKeyPath)).id, rsaPair.id);
      });
    });
  });

  describe('loadKeyPairFromEnv()', () => {
    it('reads PEM, PEM with literal \\n, or base64 of PEM; returns null when unset', () => {
      const pair = generateKeyPair();
      assert.equal(loadKeyPairFromEnv({ env: {} }), null);
      assert.equal(loadKeyPairFromEnv({ env: { SCUTTLEBUTT_PRIVATE_KEY: pair.privateKeyPem } })?.id, pair.id);
      const escaped = pair.privateKeyPem.trim().replace(/\n/g, '\\n');
      assert.equal(loadKeyPairFromEnv({ env: { SCUTTLEBUTT_PRIVATE_KEY: escaped } })?.id, pair.id);
      const b64 = Buffer.from(pair.privateKeyPem).toString('base64');
      assert.equal(loadKeyPairFromEnv({ env: { APP_PRIVATE_KEY: b64 }, prefix: 'APP' })?.id, pair.id);
      const rsaEnv = { SCUTTLEBUTT_PRIVATE_KEY: rsaPair.privateKeyPem, SCUTTLEBUTT_PUBLIC_KEY: rsaPair.publicKeyPem };
      assert.equal(loadKeyPairFromEnv({ env: rsaEnv })?.id, rsaPair.id);
      assert.throws(() => loadKeyPairFromEnv({ env: { SCUTTLEBUTT_PRIVATE_KEY: 'nope' } }), { code: 'ERR_SB_INVALID_KEY' });
      assert.throws(() => loadKeyPairFromEnv({ env: { SCUTTLEBUTT_PRIVATE_KEY: pair.privateKeyPem, SCUTTLEBUTT_KEY_FILE: '/x' } }), {
        code: 'ERR_SB_INVALID_KEY',
      });
    });

    it('reads SCUTTLEBUTT_KEY_FILE', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sb-keys-'));
      try {
        const written = await writeKeyPair(dir);
        assert.equal(loadKeyPairFromEnv({ env: { SCUTTLEBUTT_KEY_FILE: written.privateKeyPath } })?.id, written.id);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('createAccessPolicy()', () => {
    const u = (key: string, source: string): Update => [[key, 1], 1, source, 'sig'];

    it('authenticated writers by default; anonymous peers are read-only', () => {
      const policy = createAccessPolicy();
      assert.equal(policy(u('k', 'P'), 'P', false), null);
      assert.match(policy(u('k', 'P'), null, false) as string, /anonymous/);
      assert.match(policy(u('k', 'Q'), 'P', false) as string, /may not write as "Q"/, 'unsigned: only as itself');
      assert.equal(policy(u('k', 'Q'), 'P', true), null, 'signed: relaying is fine');
    });

    it('an allow-list applies to the peer and, for relayed signed updates, to the author', () => {
      const policy = createAccessPolicy({ writers: ['A', 'B'] });
      assert.equal(policy(u('k', 'A'), 'A', true), null);
      assert.equal(policy(u('k', 'B'), 'A', true), null);
      assert.match(policy(u('k', 'C'), 'A', true) as string, /author "C"/);
      assert.match(policy(u('k', 'C'), 'C', true) as string, /peer "C"/);
      assert.equal(createAccessPolicy({ writers: (id) => id.startsWith('A') })(u('k', 'A1'), 'A1', false), null);
    });

    it('write prefixes per author, and for everyone', () => {
      const policy = createAccessPolicy({ writePrefixes: (author) => (author === 'admin' ? null : [`users/${author}/`]) });
      assert.equal(policy(u('users/A/name', 'A'), 'A', false), null);
      assert.match(policy(u('users/B/name', 'A'), 'A', false) as string, /outside/);
      assert.equal(policy(u('anything', 'admin'), 'admin', false), null);
      assert.match(policy([5, 1, 'A'], 'A', false) as string, /no key/);
      const open = createAccessPolicy({ writers: 'anyone', writePrefixes: ['public/'] });
      assert.equal(open(u('public/x', 'Z'), null, false), null);
      assert.match(open(u('private/x', 'Z'), null, false) as string, /outside/);
    });

    it('rejects bad options with TypeError', () => {
      assert.throws(() => createAccessPolicy({ writers: 5 as never }), TypeError);
      assert.throws(() => createAccessPolicy({ writePrefixes: 'x' as never }), TypeError);
    });
  });
});
