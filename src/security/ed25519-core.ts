/**
 * @module ed25519-core
 * The ed25519 scheme without any platform module (the backend is passed in): self-certifying
 * ids, update signatures over the canonical encoding, auth proofs.
 *
 * - Id: `ed25519_` followed by base64url of the 32-byte public key (51 characters). The id *is*
 *   the key, so any node verifies a relayed update with no key exchange, and nobody can take over
 *   an id without its private key (the original's ids were hashes of keys distributed out of
 *   band, scuttlebutt #6).
 * - Signature: base64url (86 characters) of ed25519 over {@link updateSigningBytes}, as the 4th
 *   and last element: `[change, ts, source, sig]`. An update with any other number of elements
 *   is refused, so nothing unsigned can ride along with a signed update.
 */
import { LocalProtocolError } from '../errors.js';
import type { AuthProof, AuthRequest } from '../protocol/auth.js';
import type { Update } from '../protocol/update.js';
import { decodeBase64url, encodeBase64url } from './_base64url.js';
import type { Ed25519Backend, Ed25519Signer } from './ed25519-backend.js';
import { authSigningBytes, updateSigningBytes } from './signed-bytes.js';
import type { Security } from './types.js';

/** The prefix of every ed25519 id. */
export const ED25519_ID_PREFIX = 'ed25519_';

/** Length of an ed25519 id: the prefix and 43 base64url characters. */
export const ED25519_ID_LENGTH = ED25519_ID_PREFIX.length + 43;

/**
 * The id of an ed25519 public key.
 * @param publicKey - 32 bytes
 * @throws RangeError for another length
 * @example
 * ```ts
 * ed25519Id(new Uint8Array(32)) // 'ed25519_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
 * ```
 */
export function ed25519Id(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new RangeError(`"publicKey" expected 32 bytes, got ${publicKey.length}`);
  return ED25519_ID_PREFIX + encodeBase64url(publicKey);
}

/**
 * The public key inside an ed25519 id.
 * @returns 32 bytes, or `null` if `id` is not a canonical ed25519 id (another scheme's id, a
 *   wrong length, a non-canonical encoding)
 */
export function publicKeyFromId(id: unknown): Uint8Array | null {
  if (typeof id !== 'string' || id.length !== ED25519_ID_LENGTH || !id.startsWith(ED25519_ID_PREFIX)) return null;
  return decodeBase64url(id.slice(ED25519_ID_PREFIX.length), 32);
}

/** DER prefix of an ed25519 SubjectPublicKeyInfo (RFC 8410 §4). */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** The SPKI PEM of a raw ed25519 public key (what `openssl pkey -pubout` prints). */
export function ed25519PublicKeyPem(publicKey: Uint8Array): string {
  const der = new Uint8Array(SPKI_PREFIX.length + publicKey.length);
  der.set(SPKI_PREFIX);
  der.set(publicKey, SPKI_PREFIX.length);
  let binary = '';
  for (const byte of der) binary += String.fromCharCode(byte);
  const body = btoa(binary).replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN PUBLIC KEY-----\n${body}-----END PUBLIC KEY-----\n`;
}

/** Decodes an update's signature: 64 bytes from 86 base64url characters, or `null`. */
export function decodeEd25519Signature(value: unknown): Uint8Array | null {
  return decodeBase64url(value, 64);
}

/** A verify-only object: pass `verify` to a model that checks updates but does not sign. */
export interface Verifier {
  readonly scheme: string;
  verify(update: Update, cb: (err: unknown, ok?: boolean) => void): void;
}

/**
 * Checks an ed25519-signed update with a backend.
 * @returns the verdict, or a promise of it for an asynchronous backend; never throws
 */
export function verifyEd25519Update(backend: Ed25519Backend, update: Update): boolean | Promise<boolean> {
  if (update.length !== 4) return false; // stripped, or carrying unsigned extras
  const publicKey = publicKeyFromId(update[2]);
  if (publicKey === null) return false; // not an ed25519 id: wrong key type, or a forged id
  const signature = decodeEd25519Signature(update[3]);
  if (signature === null) return false; // truncated or not base64url
  let message: Uint8Array;
  try {
    message = updateSigningBytes(update);
  } catch {
    return false;
  }
  return backend.verify(publicKey, message, signature);
}

/**
 * Checks an ed25519 auth proof synchronously.
 * @returns false for anything but a valid proof by `request.id`, or for an asynchronous backend
 */
export function verifyEd25519Proof(backend: Ed25519Backend, proof: AuthProof, request: AuthRequest, binding?: Uint8Array | null): boolean {
  const publicKey = publicKeyFromId(proof.id);
  const signature = decodeEd25519Signature(proof.sig);
  if (publicKey === null || signature === null || proof.id !== request.id) return false;
  const result = backend.verify(publicKey, authSigningBytes(request, binding), signature);
  return result === true;
}

function callback(result: boolean | Promise<boolean>, cb: (err: unknown, ok?: boolean) => void): void {
  if (typeof result === 'boolean') {
    cb(null, result);
    return;
  }
  result.then(
    (ok) => cb(null, ok === true),
    () => cb(null, false),
  );
}

/**
 * A verify-only ed25519 object.
 * @param backend - the platform's ed25519
 */
export function createEd25519Verifier(backend: Ed25519Backend): Verifier {
  return Object.freeze({
    scheme: 'ed25519',
    verify: (update: Update, cb: (err: unknown, ok?: boolean) => void) => callback(verifyEd25519Update(backend, update), cb),
  });
}

/**
 * The ed25519 security object for a seed.
 * @param backend - the platform's ed25519
 * @param seed - the 32-byte private key
 * @throws RangeError for a seed of another length
 */
export function createEd25519Security(backend: Ed25519Backend, seed: Uint8Array): Security {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new RangeError(`"seed" expected 32 bytes, got ${seed instanceof Uint8Array ? seed.length : typeof seed}`);
  }
  let signer: Ed25519Signer;
  try {
    signer = backend.signer(seed);
  } catch (cause) {
    throw new LocalProtocolError('ERR_SB_INVALID_KEY', `the ${backend.name} ed25519 backend cannot sign: ${String(cause)}`, { cause });
  }
  const id = ed25519Id(signer.publicKey);
  const publicKey = ed25519PublicKeyPem(signer.publicKey);
  return Object.freeze({
    scheme: 'ed25519' as const,
    id,
    publicKey,
    canSign: true,
    sign: (update: Update): string => encodeBase64url(signer.sign(updateSigningBytes(update))),
    verify: (update: Update, cb: (err: unknown, ok?: boolean) => void): void => callback(verifyEd25519Update(backend, update), cb),
    createId: (): string => id,
    proveAuth: (request: AuthRequest, binding?: Uint8Array | null): AuthProof => ({
      v: 1,
      id,
      sig: encodeBase64url(signer.sign(authSigningBytes(request, binding))),
    }),
  });
}
