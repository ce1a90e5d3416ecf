/**
 * @module types
 * The security object every scheme returns: the original's pluggable `{ sign, verify, createId,
 * publicKey }`, which any model's constructor takes whole, plus what peer authentication needs.
 */
import type { AuthProof, AuthRequest } from '../protocol/auth.js';
import type { Update } from '../protocol/update.js';

/** The signature schemes this library implements. */
export type SchemeName = 'ed25519' | 'rsa-sha1';

/**
 * A signer and verifier of updates for one identity. Pass it to a model: `new Model(security)`;
 * the model's id becomes `security.createId()`.
 */
export interface Security {
  /** The scheme. */
  readonly scheme: SchemeName;
  /** This identity's id (what `createId()` returns). */
  readonly id: string;
  /** The public key: PEM (SPKI for ed25519; for RSA the exact PEM given, as in the original). */
  readonly publicKey: string;
  /** Whether this object can sign (it holds a private key). */
  readonly canSign: boolean;
  /**
   * Signs a local update `[change, ts, source]`; the model appends the result as its 4th element.
   * @throws LocalProtocolError ERR_SB_INVALID_KEY without a private key
   */
  sign(update: Update): string;
  /** Verifies a remote update; calls `cb(null, ok)`, synchronously or later. Never throws. */
  verify(update: Update, cb: (err: unknown, ok?: boolean) => void): void;
  /** This identity's id, derived from the public key. */
  createId(): string;
  /**
   * Proves to a peer that we hold this identity's private key (peer authentication).
   * @param request - the peer's challenge, our id and the peer's id
   * @param binding - channel binding, if the connection has one
   * @throws LocalProtocolError ERR_SB_INVALID_KEY without a private key
   */
  proveAuth(request: AuthRequest, binding?: Uint8Array | null): AuthProof;
}
