/**
 * @module rsa
 * The original's `scuttlebutt/security` scheme, byte for byte (original-behaviour.md §4), so our
 * signed updates verify in scuttlebutt@5.6.15 and theirs in ours:
 *
 * - sign: RSASSA-PKCS1-v1_5 with SHA-1 over `JSON.stringify([change, ts, source])`, base64;
 * - verify: take the update's **last** element as the signature and `JSON.stringify` the rest;
 *   look the source's key up in `keys` (an unknown source fails);
 * - id: base64 of SHA-1 of the public key PEM bytes exactly as given (ssh-keygen's
 *   `-e -m PEM` output, trailing newline included).
 *
 * Kept for compatibility only: SHA-1 and the JSON of the original are weaker than ed25519 over a
 * canonical encoding (THREAT_MODEL.md). Auth proofs, which the original does not have, use
 * RSA-SHA256 over the context-prefixed bytes of `signed-bytes.ts`, and carry the PEM so that the
 * verifier checks it against the id (the id is its hash) and can learn it into `keys`.
 */
import { createHash, createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';
import { LocalProtocolError } from '../errors.js';
import type { AuthProof, AuthRequest } from '../protocol/auth.js';
import type { Update } from '../protocol/update.js';
import { authSigningBytes } from './signed-bytes.js';
import type { Security } from './types.js';

/** A key in PEM text or bytes, or a Node `KeyObject`. */
export type RsaKey = string | Uint8Array | KeyObject;

/** The original's `keys`: a mutable map from id to public key, filled out of band (or by auth). */
export type RsaKeys = Record<string, RsaKey> | Map<string, RsaKey>;

/** The RSA security object: the original's four members plus auth and key learning. */
export interface RsaSecurity extends Security {
  readonly scheme: 'rsa-sha1';
  /** The map `verify` reads; the same object that was passed in. */
  readonly keys: RsaKeys;
  /**
   * Adds a peer's public key to `keys` if its hash is `id` (so a wrong key can never be learnt).
   * @returns whether the key matches the id
   */
  learnKey(id: string, publicKeyPem: string): boolean;
}

const ALGORITHM = 'RSA-SHA1';
const PROOF_ALGORITHM = 'RSA-SHA256';
const FORMAT = 'base64';

/**
 * The original's id of an RSA public key: base64 SHA-1 of the PEM bytes exactly as given.
 * @example
 * ```ts
 * rsaId('') // '2jmj7l5rSw0yVb/vlWAYkK/YBwk=' (an original built with security(keys, '', ''))
 * ```
 */
export function rsaId(publicKeyPem: string | Uint8Array): string {
  return createHash('sha1').update(publicKeyPem).digest(FORMAT);
}

function lookup(keys: RsaKeys, id: string): RsaKey | undefined {
  if (keys instanceof Map) return keys.get(id);
  return Object.hasOwn(keys, id) ? keys[id] : undefined;
}

const keyInput = (key: RsaKey): string | Buffer | KeyObject => (key instanceof Uint8Array ? Buffer.from(key) : key);

/**
 * Public keys parsed once: OpenSSL 3 decodes a PEM in ~0.1 ms, more than an RSA verification
 * itself, and the original passed PEM strings on every call. 4096 entries bound the cache.
 */
const MAX_PARSED_KEYS = 4096;
const parsedKeys = new Map<string, KeyObject | null>();

function publicKeyObject(key: RsaKey): KeyObject | null {
  if (typeof key !== 'string') {
    if (key instanceof Uint8Array) return publicKeyObject(Buffer.from(key).toString('latin1'));
    return key;
  }
  let parsed = parsedKeys.get(key);
  if (parsed === undefined) {
    try {
      parsed = createPublicKey(key);
    } catch {
      parsed = null;
    }
    if (parsedKeys.size >= MAX_PARSED_KEYS) parsedKeys.delete(parsedKeys.keys().next().value as string);
    parsedKeys.set(key, parsed);
  }
  return parsed;
}

/**
 * Checks an RSA auth proof: the PEM it carries hashes to the claimed id, is an RSA key, and signed
 * the request. Never throws.
 */
export function verifyRsaProof(proof: AuthProof, request: AuthRequest, binding?: Uint8Array | null): boolean {
  try {
    if (proof.key === undefined || proof.id !== request.id || rsaId(proof.key) !== proof.id) return false;
    const key = createPublicKey(proof.key);
    if (key.asymmetricKeyType !== 'rsa') return false;
    return createVerify(PROOF_ALGORITHM).update(authSigningBytes(request, binding)).verify(key, proof.sig, FORMAT);
  } catch {
    return false;
  }
}

/**
 * The original's security object, `require('scuttlebutt/security')(keys, PRIVATE, PUBLIC)`.
 * @param keys - id → public key PEM of every source whose updates this node accepts
 * @param PRIVATE - this node's private key (PEM: ssh-keygen's `-m PEM` file loads as it is);
 *   empty for a node that only verifies
 * @param PUBLIC - this node's public key PEM (ssh-keygen `-e -m PEM`); its exact bytes make the id
 * @returns the security object (pass it whole to a model)
 * @example
 * ```ts
 * const keys = { [rsaId(peerPem)]: peerPem }
 * const model = new Model(rsa(keys, readFileSync('KEY', 'utf8'), readFileSync('KEY.pem', 'utf8')))
 * ```
 */
export function rsa(keys: RsaKeys = {}, PRIVATE: RsaKey = '', PUBLIC: string | Uint8Array = ''): RsaSecurity {
  if (typeof keys !== 'object' || keys === null)
    throw new TypeError(`"keys" expected object or Map, got ${keys === null ? 'null' : typeof keys}`);
  const publicText = typeof PUBLIC === 'string' ? PUBLIC : Buffer.from(PUBLIC).toString('latin1');
  const id = rsaId(PUBLIC);
  const canSign = typeof PRIVATE === 'string' ? PRIVATE.length > 0 : PRIVATE instanceof Uint8Array ? PRIVATE.length > 0 : true;
  let privateKey: KeyObject | null = null;
  const signingKey = (): KeyObject => {
    if (privateKey === null) {
      privateKey =
        typeof PRIVATE === 'string' || PRIVATE instanceof Uint8Array ? createPrivateKey(keyInput(PRIVATE) as string | Buffer) : PRIVATE;
    }
    return privateKey;
  };
  const needKey = (): void => {
    if (!canSign) throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'this rsa security object has no private key');
  };
  const learnKey = (peer: string, pem: string): boolean => {
    if (typeof pem !== 'string' || rsaId(pem) !== peer) return false;
    if (keys instanceof Map) keys.set(peer, pem);
    else keys[peer] = pem;
    return true;
  };
  return Object.freeze({
    scheme: 'rsa-sha1' as const,
    id,
    publicKey: publicText,
    canSign,
    keys,
    learnKey,
    sign(update: Update): string {
      needKey();
      try {
        return createSign(ALGORITHM).update(JSON.stringify(update)).sign(signingKey(), FORMAT);
      } catch (cause) {
        throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'cannot sign with this RSA private key', { cause });
      }
    },
    verify(update: Update, cb: (err: unknown, ok?: boolean) => void): void {
      let ok = false;
      try {
        const rest = update.slice();
        const signature = rest.pop();
        const entry = lookup(keys, update[2]);
        const key = entry === undefined ? null : publicKeyObject(entry);
        if (key !== null && key.asymmetricKeyType === 'rsa' && typeof signature === 'string') {
          ok = createVerify(ALGORITHM).update(JSON.stringify(rest)).verify(key, signature, FORMAT);
        }
      } catch {
        ok = false; // a key of another type, a malformed key or signature: not verified
      }
      cb(null, ok);
    },
    createId: (): string => id,
    proveAuth(request: AuthRequest, binding?: Uint8Array | null): AuthProof {
      needKey();
      let sig: string;
      try {
        sig = createSign(PROOF_ALGORITHM).update(authSigningBytes(request, binding)).sign(signingKey(), FORMAT);
      } catch (cause) {
        throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'cannot sign with this RSA private key', { cause });
      }
      return { v: 1, id, sig, key: publicText };
    },
  });
}
