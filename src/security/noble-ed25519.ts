/**
 * @module noble-ed25519
 * Adapts a synchronous ed25519 implementation with the API of `@noble/curves/ed25519`
 * (`sign(message, secretKey)`, `verify(signature, message, publicKey)`, `getPublicKey(secretKey)`)
 * to an {@link Ed25519Backend}. This library does not depend on it: a browser application that
 * wants to sign imports it and passes it in, `ed25519({ backend: nobleEd25519(ed25519) })`.
 */
import type { Ed25519Backend, Ed25519Signer } from './ed25519-backend.js';

/** The part of `@noble/curves/ed25519`'s `ed25519` export this adapter uses. */
export interface NobleEd25519Like {
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  getPublicKey(secretKey: Uint8Array): Uint8Array;
}

/**
 * An ed25519 backend from a noble-style implementation.
 * @param ed - `ed25519` from `@noble/curves/ed25519.js` (or anything with the same three functions)
 * @returns a synchronous backend: signs, verifies, and supports peer authentication
 * @throws TypeError when `ed` lacks one of the functions
 * @example
 * ```ts
 * import { ed25519 as noble } from '@noble/curves/ed25519.js'
 * const security = ed25519({ backend: nobleEd25519(noble) })
 * ```
 */
export function nobleEd25519(ed: NobleEd25519Like): Ed25519Backend {
  for (const name of ['sign', 'verify', 'getPublicKey'] as const) {
    if (typeof ed?.[name] !== 'function') throw new TypeError(`"ed.${name}" expected function, got ${typeof ed?.[name]}`);
  }
  return Object.freeze({
    name: 'noble',
    randomSeed(): Uint8Array {
      return globalThis.crypto.getRandomValues(new Uint8Array(32));
    },
    signer(seed: Uint8Array): Ed25519Signer {
      const secret = Uint8Array.from(seed);
      return { publicKey: ed.getPublicKey(secret), sign: (message) => ed.sign(message, secret) };
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      try {
        return ed.verify(signature, message, publicKey) === true;
      } catch {
        return false;
      }
    },
  });
}
