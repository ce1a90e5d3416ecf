/**
 * @module node-ed25519
 * The ed25519 backend of Node: `node:crypto` (OpenSSL), synchronous. Public keys are turned into
 * `KeyObject`s once and kept in a bounded cache, because every relayed update of a source is
 * verified against the same key.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from './_base64url.js';
import type { Ed25519Backend, Ed25519Signer } from './ed25519-backend.js';

/** How many public keys are kept prepared: 4096 KeyObjects, well under 4 MB. */
const MAX_CACHED_KEYS = 4096;

/**
 * The fixed DER prefix of a PKCS#8 ed25519 private key (RFC 8410 §7): SEQUENCE { version 0,
 * AlgorithmIdentifier { 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }.
 */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

const cache = new Map<string, KeyObject | null>();

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const x = encodeBase64url(publicKey);
  const cached = cache.get(x);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    key = null; // not a valid encoding: every signature by it is refused
  }
  if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
  cache.set(x, key);
  return key;
}

/**
 * Makes a Node `KeyObject` for an ed25519 seed.
 * @param seed - the 32-byte private key
 */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

/**
 * The seed of an ed25519 private `KeyObject`.
 * @returns the 32 bytes, or `null` if the key is not an ed25519 private key
 */
export function seedFromPrivateKey(key: KeyObject): Uint8Array | null {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') return null;
  const jwk = key.export({ format: 'jwk' });
  return decodeBase64url(jwk.d, 32);
}

/** The 32-byte public key of an ed25519 `KeyObject` (public or private). */
export function rawPublicKey(key: KeyObject): Uint8Array | null {
  if (key.asymmetricKeyType !== 'ed25519') return null;
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return decodeBase64url(jwk.x, 32);
}

/** ed25519 with `node:crypto`. */
export const nodeEd25519: Ed25519Backend = Object.freeze({
  name: 'node:crypto',
  randomSeed(): Uint8Array {
    return new Uint8Array(randomBytes(32));
  },
  signer(seed: Uint8Array): Ed25519Signer {
    const key = privateKeyFromSeed(seed);
    const publicKey = rawPublicKey(key) as Uint8Array;
    return { publicKey, sign: (message) => new Uint8Array(sign(null, message, key)) };
  },
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const key = publicKeyObject(publicKey);
    if (key === null) return false;
    try {
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
});
