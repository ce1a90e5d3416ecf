/**
 * @module auth
 * {@link createAuth}: the handler a stream uses for peer authentication and per-peer rights
 * (the session side is `protocol/auth.ts`). It proves our id with our security object, checks
 * the peer's proof in whichever scheme its id belongs to (an ed25519 id carries its key; an RSA
 * proof carries its PEM, whose hash must be the id), optionally binds proofs to the channel
 * (TLS keying material), and applies an {@link createAccessPolicy | access policy}.
 */
import { randomBytes } from 'node:crypto';
import type { AuthHandler, AuthProof, AuthRequest } from '../protocol/auth.js';
import type { Update } from '../protocol/update.js';
import { encodeBase64url } from './_base64url.js';
import { type AccessPolicy, type AccessPolicyOptions, createAccessPolicy } from './access-policy.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { publicKeyFromId, verifyEd25519Proof } from './ed25519-core.js';
import { nodeEd25519 } from './node-ed25519.js';
import { type RsaSecurity, verifyRsaProof } from './rsa.js';
import type { Security } from './types.js';

/** Options of {@link createAuth}. */
export interface AuthOptions extends AccessPolicyOptions {
  /** Our identity; without one (or one that cannot sign) we verify peers but stay anonymous to them. */
  readonly security?: Security | null;
  /** Close a stream whose peer offers no authentication (`ERR_SB_AUTH_REQUIRED`). Default false: it is anonymous. */
  readonly required?: boolean;
  /**
   * Bytes both ends of this connection know and a man in the middle cannot choose: for TLS,
   * `socket.exportKeyingMaterial(32, 'scuttlebutt-ts auth', Buffer.alloc(0))`. Proofs then only
   * verify on this very connection, which defeats a relay of the handshake. Both sides must use it.
   */
  readonly channelBinding?: Uint8Array | null;
  /** A last, custom check after the policy: `null` to accept, or why to refuse. */
  readonly authorize?: AccessPolicy;
  /** RSA: add a proven peer's public key to our `keys`, so its updates verify (default true). */
  readonly learnKeys?: boolean;
  /** ed25519 implementation for proofs (default `node:crypto`). */
  readonly backend?: Ed25519Backend;
  /** Called with each peer id that proves itself, for logs. */
  readonly onAuthenticated?: (id: string) => void;
}

const isRsa = (security: Security): security is RsaSecurity => security.scheme === 'rsa-sha1' && 'learnKey' in security;

/**
 * Verifies a peer's auth proof in the scheme of its id. Never throws.
 * @param proof - the peer's proof
 * @param request - our challenge, the id it claims, our id
 * @param binding - the channel binding, if any
 * @param backend - ed25519 implementation (default `node:crypto`)
 */
export function verifyAuthProof(
  proof: AuthProof,
  request: AuthRequest,
  binding?: Uint8Array | null,
  backend: Ed25519Backend = nodeEd25519,
): boolean {
  if (publicKeyFromId(proof.id) !== null) return verifyEd25519Proof(backend, proof, request, binding);
  if (proof.key !== undefined) return verifyRsaProof(proof, request, binding);
  return false;
}

/**
 * Builds the auth handler of one stream (or, without `channelBinding`, of every stream of a
 * model: pass it as the model's `auth` option).
 * @param options - our identity, the rights of peers, channel binding
 * @returns the handler streams take as `auth`
 * @throws TypeError for a bad option
 * @example
 * ```ts
 * const security = ed25519(pair)
 * const auth = createAuth({ security, writers: [alice, bob], writePrefixes: (id) => [`users/${id}/`] })
 * const model = new Model({ ...security, auth })
 * ```
 */
export function createAuth(options: AuthOptions = {}): AuthHandler {
  const security = options.security ?? null;
  const binding = options.channelBinding ?? null;
  if (binding !== null && !(binding instanceof Uint8Array)) throw new TypeError('"channelBinding" expected Uint8Array');
  const policy = createAccessPolicy(options);
  const custom = options.authorize;
  const learn = options.learnKeys !== false;
  const backend = options.backend ?? nodeEd25519;
  const onAuthenticated = options.onAuthenticated;
  return Object.freeze({
    scheme: security?.scheme ?? 'none',
    required: options.required === true,
    createChallenge: (): string => encodeBase64url(randomBytes(32)),
    prove(request: AuthRequest): AuthProof | null {
      if (security === null || !security.canSign || request.id !== security.id) return null;
      return security.proveAuth(request, binding);
    },
    verify(proof: AuthProof, request: AuthRequest): boolean {
      const ok = verifyAuthProof(proof, request, binding, backend);
      if (ok && learn && security !== null && isRsa(security) && proof.key !== undefined) security.learnKey(proof.id, proof.key);
      if (ok) onAuthenticated?.(proof.id);
      return ok;
    },
    authorize(update: Update, peer: string | null, signed: boolean): string | null {
      return policy(update, peer, signed) ?? custom?.(update, peer, signed) ?? null;
    },
  });
}
