/**
 * @module signed-bytes
 * Exactly which bytes each signature covers (docs/security.md § "What is signed").
 *
 * Every message signed with an ed25519 key, and every auth proof in any scheme, starts with a
 * context line naming what it is, so a signature made for one purpose can never be accepted for
 * another: a peer that asks us to sign an auth challenge cannot obtain a signature of an update,
 * because the two messages differ in their first bytes. (The RSA update signatures of the
 * original, `JSON.stringify([change, ts, source])`, have no context for compatibility; they start
 * with `[`, which no context line does, so they cannot collide with an auth proof either.)
 */
import type { AuthRequest } from '../protocol/auth.js';
import type { Update } from '../protocol/update.js';
import { encodeBase64url } from './_base64url.js';
import { encodeCanonical } from './canonical.js';

/** The context line of an ed25519 update signature. */
export const UPDATE_SIGNING_CONTEXT = 'scuttlebutt-ts/update/v1\n';

/** The context line of an auth proof, in every scheme. */
export const AUTH_SIGNING_CONTEXT = 'scuttlebutt-ts/auth/v1\n';

const utf8 = new TextEncoder();

/**
 * The bytes an ed25519 signature of an update covers: `UPDATE_SIGNING_CONTEXT` followed by the
 * canonical JSON of `[change, ts, source]`, in UTF-8. Elements after the source (the signature
 * itself) are not covered.
 * @throws TypeError for a change that cannot be encoded (a cycle, a BigInt)
 * @example
 * ```ts
 * new TextDecoder().decode(updateSigningBytes([['k', 1], 5, 'S'])) // 'scuttlebutt-ts/update/v1\n[["k",1],5,"S"]'
 * ```
 */
export function updateSigningBytes(update: Update): Uint8Array {
  return utf8.encode(UPDATE_SIGNING_CONTEXT + encodeCanonical([update[0], update[1], update[2]]));
}

/**
 * The bytes an auth proof covers: `AUTH_SIGNING_CONTEXT` followed by the canonical JSON of
 * `{"binding", "challenge", "id", "peer"}`, where `binding` is base64url of the channel binding
 * (for instance TLS keying material), or `null` without one.
 * @param request - the verifier's challenge, the prover's id and the verifier's id
 * @param binding - channel binding both sides computed, if any
 */
export function authSigningBytes(request: AuthRequest, binding?: Uint8Array | null): Uint8Array {
  const body = {
    binding: binding ? encodeBase64url(binding) : null,
    challenge: request.challenge,
    id: request.id,
    peer: request.peer,
  };
  return utf8.encode(AUTH_SIGNING_CONTEXT + encodeCanonical(body));
}
