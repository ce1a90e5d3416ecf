/**
 * @module ed25519-backend
 * The ed25519 primitives the scheme needs, behind an interface, so the scheme itself imports no
 * platform module: `node-ed25519.ts` implements it with `node:crypto` (the default in Node),
 * `noble-ed25519.ts` adapts a synchronous implementation such as `@noble/curves` (browsers),
 * and `webcrypto-ed25519.ts` verifies (asynchronously) with WebCrypto where nothing else is
 * loaded. Tests can pass a fake.
 */

/** A prepared signer for one private key. */
export interface Ed25519Signer {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** Signs a message: a 64-byte signature (RFC 8032 ed25519, pure, no pre-hash). */
  sign(message: Uint8Array): Uint8Array;
}

/** ed25519 for one platform. */
export interface Ed25519Backend {
  /** A name for messages and benchmarks (`'node:crypto'`, `'noble'`, `'webcrypto'`). */
  readonly name: string;
  /** 32 fresh random bytes: a new private key (the RFC 8032 seed). */
  randomSeed(): Uint8Array;
  /**
   * A signer for a 32-byte seed.
   * @throws when this backend cannot sign synchronously (WebCrypto)
   */
  signer(seed: Uint8Array): Ed25519Signer;
  /**
   * Whether `signature` is a valid signature of `message` by `publicKey`. Returns false for any
   * malformed input (a public key that is not a point, a non-canonical signature); never throws.
   * A Promise means the check is asynchronous (WebCrypto): updates then still apply in order per
   * source, but peer authentication, which must be synchronous, is not available.
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}
