/**
 * @module key-pair
 * Key pairs in memory: generate one, read one from PEM text, and turn one into the security
 * object of its scheme. Formats are the ones the seed README and OpenSSL use, so keys move
 * between tools as they are:
 *
 * - ed25519: private key PKCS#8 PEM (`BEGIN PRIVATE KEY`), public key SPKI PEM (`BEGIN PUBLIC KEY`);
 * - RSA: private key PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`, what `ssh-keygen -m PEM` writes), public
 *   key PKCS#1 PEM (`BEGIN RSA PUBLIC KEY`, what `ssh-keygen -e -m PEM` writes, byte for byte).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { LocalProtocolError } from '../errors.js';
import { ed25519 } from './ed25519.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { ed25519Id } from './ed25519-core.js';
import { rawPublicKey } from './node-ed25519.js';
import { type RsaKeys, rsa, rsaId } from './rsa.js';
import type { SchemeName, Security } from './types.js';

/** A key pair with its scheme and id. */
export interface KeyPair {
  readonly scheme: SchemeName;
  /** The id the pair signs as: `ed25519_…`, or the original's base64 SHA-1 of the RSA public PEM. */
  readonly id: string;
  /** PEM of the private key. */
  readonly privateKeyPem: string;
  /** PEM of the public key (for RSA, the exact bytes its id hashes). */
  readonly publicKeyPem: string;
}

/** Options of {@link generateKeyPair}. */
export interface GenerateKeyPairOptions {
  /** `'ed25519'` (default) or `'rsa-sha1'` (the original's scheme). */
  readonly scheme?: SchemeName;
  /** RSA modulus length in bits (default 2048; at least 1024). */
  readonly bits?: number;
}

/** Smallest RSA key this library generates: 1024 bits (the seed README allowed 786; OpenSSL 3 refuses less than 512). */
export const MIN_RSA_BITS = 1024;

/**
 * Generates a key pair.
 * @throws RangeError for `bits` below {@link MIN_RSA_BITS}; TypeError for an unknown scheme
 * @example
 * ```ts
 * const pair = generateKeyPair() // { scheme: 'ed25519', id: 'ed25519_…', privateKeyPem, publicKeyPem }
 * ```
 */
export function generateKeyPair(options: GenerateKeyPairOptions = {}): KeyPair {
  const scheme = options.scheme ?? 'ed25519';
  if (scheme === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    return keyPairFromPem(privateKey, publicKey);
  }
  if (scheme === 'rsa-sha1') {
    const bits = options.bits ?? 2048;
    if (!Number.isInteger(bits) || bits < MIN_RSA_BITS) throw new RangeError(`"bits" expected integer >= ${MIN_RSA_BITS}, got ${bits}`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: bits,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    return keyPairFromPem(privateKey, publicKey);
  }
  throw new TypeError(`"scheme" expected 'ed25519' or 'rsa-sha1', got ${String(scheme)}`);
}

function readPrivate(pem: string): KeyObject {
  if (pem.includes('BEGIN OPENSSH PRIVATE KEY')) {
    throw new LocalProtocolError(
      'ERR_SB_INVALID_KEY',
      'this is an OpenSSH-format key; convert it to PEM with `ssh-keygen -p -m PEM -f KEY` (or generate it with -m PEM)',
    );
  }
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'the private key is not an unencrypted PEM key', { cause });
  }
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.equals(b);
}

/**
 * Reads a key pair from PEM text: the scheme is the private key's type.
 * @param privateKeyPem - the private key
 * @param publicKeyPem - the public key, if stored separately (for RSA its exact bytes make the id;
 *   without it the id is computed from a PKCS#1 PEM derived from the private key, which is what
 *   ssh-keygen prints)
 * @throws LocalProtocolError ERR_SB_INVALID_KEY for an unreadable key, a type other than ed25519
 *   or RSA, or a public key that does not belong to the private key
 */
export function keyPairFromPem(privateKeyPem: string, publicKeyPem?: string): KeyPair {
  const privateKey = readPrivate(privateKeyPem);
  const derived = createPublicKey(privateKey);
  if (publicKeyPem !== undefined) {
    let given: KeyObject;
    try {
      given = createPublicKey(publicKeyPem);
    } catch (cause) {
      throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'the public key is not a PEM key', { cause });
    }
    if (!samePublicKey(given, derived))
      throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'the public key does not belong to the private key');
  }
  switch (privateKey.asymmetricKeyType) {
    case 'ed25519': {
      const pem = publicKeyPem ?? (derived.export({ type: 'spki', format: 'pem' }) as string);
      return Object.freeze({ scheme: 'ed25519', id: ed25519Id(rawPublicKey(privateKey) as Uint8Array), privateKeyPem, publicKeyPem: pem });
    }
    case 'rsa': {
      const pem = publicKeyPem ?? (derived.export({ type: 'pkcs1', format: 'pem' }) as string);
      return Object.freeze({ scheme: 'rsa-sha1', id: rsaId(pem), privateKeyPem, publicKeyPem: pem });
    }
    default:
      throw new LocalProtocolError(
        'ERR_SB_INVALID_KEY',
        `expected an ed25519 or RSA key, got ${privateKey.asymmetricKeyType ?? 'unknown'}`,
      );
  }
}

/** Options of {@link securityFor}. */
export interface SecurityForOptions {
  /** RSA only: the id → public key map `verify` uses (default: a new map with our own key). */
  readonly keys?: RsaKeys;
  /** ed25519 only: the implementation (default `node:crypto`). */
  readonly backend?: Ed25519Backend;
}

/**
 * The security object of a key pair's scheme.
 * @example
 * ```ts
 * const model = new Model(securityFor(await loadKeyPair('keys/scuttlebutt-ed25519')))
 * ```
 */
export function securityFor(pair: KeyPair, options: SecurityForOptions = {}): Security {
  if (pair.scheme === 'ed25519') {
    return options.backend === undefined ? ed25519(pair) : ed25519({ privateKey: pair, backend: options.backend });
  }
  const keys = options.keys ?? { [pair.id]: pair.publicKeyPem };
  return rsa(keys, pair.privateKeyPem, pair.publicKeyPem);
}
