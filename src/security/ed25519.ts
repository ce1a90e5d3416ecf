/**
 * @module ed25519
 * The default scheme in Node: {@link ed25519} takes a private key in any usual form (a PEM
 * string, a `KeyObject`, a 32-byte seed, a loaded key pair) or makes a fresh one, and returns
 * the security object a model takes. `ed25519-core.ts` has the scheme itself.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { LocalProtocolError } from '../errors.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { createEd25519Security, createEd25519Verifier, type Verifier } from './ed25519-core.js';
import { nodeEd25519, seedFromPrivateKey } from './node-ed25519.js';
import type { Security } from './types.js';

/** An ed25519 private key: PKCS#8 PEM, a Node `KeyObject`, a 32-byte seed, or a loaded key pair. */
export type Ed25519KeyInput = string | KeyObject | Uint8Array | { readonly scheme: string; readonly privateKeyPem: string | null };

/** Options of {@link ed25519}. */
export interface Ed25519Options {
  /** The private key; a fresh random one (an ephemeral identity) if absent. */
  readonly privateKey?: Ed25519KeyInput;
  /** The implementation (default `node:crypto`). */
  readonly backend?: Ed25519Backend;
}

const isKeyObject = (value: unknown): value is KeyObject =>
  typeof value === 'object' && value !== null && typeof (value as KeyObject).asymmetricKeyType !== 'undefined' && 'export' in value;

/**
 * The 32-byte seed of an ed25519 private key given in any supported form.
 * @throws LocalProtocolError ERR_SB_INVALID_KEY for anything that is not an ed25519 private key
 */
export function ed25519Seed(key: Ed25519KeyInput): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new LocalProtocolError('ERR_SB_INVALID_KEY', `an ed25519 seed is 32 bytes, got ${key.length}`);
    return Uint8Array.from(key);
  }
  let object: KeyObject;
  if (typeof key === 'string') {
    object = parsePrivateKey(key);
  } else if (isKeyObject(key)) {
    object = key;
  } else if (typeof key === 'object' && key !== null && typeof key.privateKeyPem === 'string') {
    if (key.scheme !== 'ed25519') throw new LocalProtocolError('ERR_SB_INVALID_KEY', `expected an ed25519 key pair, got ${key.scheme}`);
    object = parsePrivateKey(key.privateKeyPem);
  } else {
    throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'expected an ed25519 private key (PEM, KeyObject, 32-byte seed or key pair)');
  }
  const seed = seedFromPrivateKey(object);
  if (seed === null) {
    throw new LocalProtocolError(
      'ERR_SB_INVALID_KEY',
      `expected an ed25519 private key, got a ${object.type} ${object.asymmetricKeyType ?? ''} key`,
    );
  }
  return seed;
}

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw new LocalProtocolError('ERR_SB_INVALID_KEY', 'the private key is not a PEM key Node can read', { cause });
  }
}

/**
 * The ed25519 security object: sign local updates, verify remote ones, prove our id to peers.
 * Its id is derived from the public key (`ed25519_…`), so a model built with it gets that id.
 * @param options - `{ privateKey?, backend? }`, or the private key itself
 * @returns a frozen {@link Security}
 * @throws LocalProtocolError ERR_SB_INVALID_KEY for a key that is not ed25519
 * @example
 * ```ts
 * const security = ed25519(await loadKeyPair('keys/scuttlebutt-ed25519'))
 * const model = new Model(security) // model.id === security.id
 * ```
 */
export function ed25519(options: Ed25519Options | Ed25519KeyInput = {}): Security {
  const opts: Ed25519Options =
    typeof options === 'string' || options instanceof Uint8Array || isKeyObject(options) || 'privateKeyPem' in options
      ? { privateKey: options as Ed25519KeyInput }
      : (options as Ed25519Options);
  const backend = opts.backend ?? nodeEd25519;
  const seed = opts.privateKey === undefined ? backend.randomSeed() : ed25519Seed(opts.privateKey);
  return createEd25519Security(backend, seed);
}

/**
 * A verify-only ed25519 object, for a model that checks updates but never writes.
 * @param options - `{ backend? }` (default `node:crypto`)
 * @example
 * ```ts
 * const model = new Model({ verify: ed25519Verifier().verify })
 * ```
 */
export function ed25519Verifier(options: { readonly backend?: Ed25519Backend } = {}): Verifier {
  return createEd25519Verifier(options.backend ?? nodeEd25519);
}
