/**
 * @module webcrypto-ed25519
 * ed25519 verification with WebCrypto (`crypto.subtle`, Ed25519), for browsers that load no
 * other implementation. WebCrypto is asynchronous, so this backend verifies updates (the model
 * keeps each source's order while a check is pending) but cannot sign, because a model signs
 * inside `localUpdate`, synchronously, and cannot take part in peer authentication. A browser
 * that writes passes a synchronous backend ({@link nobleEd25519}).
 */
import type { Ed25519Backend, Ed25519Signer } from './ed25519-backend.js';

/** Imported public keys kept, as promises: 1024. */
const MAX_CACHED_KEYS = 1024;

/**
 * A verify-only backend on `globalThis.crypto.subtle`.
 * @param subtle - the SubtleCrypto to use (default `globalThis.crypto.subtle`)
 * @example
 * ```ts
 * const reader = ed25519Verifier({ backend: webCryptoEd25519() })
 * const model = new Model({ verify: reader.verify })
 * ```
 */
export function webCryptoEd25519(subtle: SubtleCrypto = globalThis.crypto.subtle): Ed25519Backend {
  const keys = new Map<string, Promise<CryptoKey | null>>();
  const importKey = (publicKey: Uint8Array): Promise<CryptoKey | null> => {
    const name = Array.from(publicKey, (b) => b.toString(16).padStart(2, '0')).join('');
    let key = keys.get(name);
    if (key === undefined) {
      key = subtle.importKey('raw', Uint8Array.from(publicKey), { name: 'Ed25519' }, false, ['verify']).catch(() => null);
      if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
      keys.set(name, key);
    }
    return key;
  };
  return Object.freeze({
    name: 'webcrypto',
    randomSeed(): Uint8Array {
      return globalThis.crypto.getRandomValues(new Uint8Array(32));
    },
    signer(_seed: Uint8Array): Ed25519Signer {
      throw new TypeError('the WebCrypto ed25519 backend cannot sign synchronously; pass nobleEd25519(ed25519 from @noble/curves)');
    },
    async verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      const key = await importKey(publicKey);
      if (key === null) return false;
      try {
        return await subtle.verify({ name: 'Ed25519' }, key, Uint8Array.from(signature), Uint8Array.from(message));
      } catch {
        return false;
      }
    },
  });
}
