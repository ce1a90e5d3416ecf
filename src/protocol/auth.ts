/**
 * @module auth
 * The peer-authentication handshake extension (issue 5, item 3): its wire shapes, their
 * validation, and the interface through which a session asks for proofs and policy decisions.
 * Pure: no crypto here. The session calls an {@link AuthHandler} (built by
 * `scuttlebutt-ts/security`'s `createAuth`) to draw challenges, sign and check proofs and decide
 * rights, so tests can pass a fake.
 *
 * Theory of operation (docs/security.md § "Peer authentication" has the grammar):
 *
 * 1. Each side that enables auth adds an offer to its header:
 *    `{"id","clock",…,"auth":{"v":1,"challenge":<base64url of 32 random bytes>,"scheme":…}}`.
 *    The original (and every peer without auth) ignores unknown header fields.
 * 2. A side that enables auth and receives an offer answers with a proof message, queued right
 *    after its header and before any history, so every update it sends follows its proof:
 *    `{"auth":{"v":1,"id":<its id>,"sig":<signature>,"key"?:<public key, for RSA ids>}}`. That
 *    message is an object without `clock`, which the original would take for a broken header and
 *    answer by closing the stream: it is therefore sent only to a peer whose header carried a
 *    valid offer.
 * 3. The signature covers the verifier's challenge, the prover's id and the verifier's id (see
 *    `authSigningBytes` in security), so it cannot be replayed on another connection or for
 *    another id. A proof that does not verify, names another id than the prover's header, or
 *    arrives unasked closes the stream with `ERR_SB_AUTH_FAILED`.
 * 4. Every update received on the stream is then checked by {@link AuthHandler.authorize} with
 *    the authenticated peer id (or `null` for an anonymous peer); a refused update is reported
 *    and never reaches the model.
 */
import { RemoteProtocolError } from '../errors.js';
import type { Update } from './update.js';

/** The version of the extension this library speaks. */
export const AUTH_VERSION = 1;

/** Longest accepted challenge, signature, id or key string in an auth message (16 KiB): an RSA-16384 PEM fits. */
export const MAX_AUTH_FIELD_LENGTH = 16 * 1024;

/** The offer a side puts in its header as `auth`. */
export interface AuthOffer {
  readonly v: typeof AUTH_VERSION;
  /** base64url of 32 fresh random bytes. */
  readonly challenge: string;
  /** The signature scheme of the offering side (informative: proofs name their own key). */
  readonly scheme?: string;
}

/** The proof message's body: `{"auth": AuthProof}`. */
export interface AuthProof {
  readonly v: typeof AUTH_VERSION;
  /** The id the prover claims; must equal the id in its header. */
  readonly id: string;
  /** The signature over the request, in the scheme's encoding. */
  readonly sig: string;
  /** The prover's public key, when its id does not contain it (RSA ids are hashes of the PEM). */
  readonly key?: string;
}

/** What a proof signs: the verifier's challenge, the prover's id and the verifier's id. */
export interface AuthRequest {
  readonly challenge: string;
  /** The prover's id. */
  readonly id: string;
  /** The verifier's id, as the prover read it in the verifier's header. */
  readonly peer: string;
}

/**
 * What a session needs to authenticate its peer and to apply per-peer rights. Every method is
 * synchronous: a proof is checked before the next message is read, so no update can slip in
 * between the proof and its verdict.
 */
export interface AuthHandler {
  /** The scheme announced in the offer (e.g. `'ed25519'`, `'rsa-sha1'`). */
  readonly scheme: string;
  /** Close the stream with `ERR_SB_AUTH_REQUIRED` when the peer does not offer auth (default false). */
  readonly required?: boolean;
  /** A fresh challenge: base64url of 32 random bytes. Called once per session. */
  createChallenge(): string;
  /** Our proof for `request`, or `null` if we hold no private key (we then stay anonymous). */
  prove(request: AuthRequest): AuthProof | null;
  /** Whether `proof` proves possession of the private key of `request.id`. Must not throw. */
  verify(proof: AuthProof, request: AuthRequest): boolean;
  /**
   * Whether the peer may write `update`: `null` to accept, or the reason it is refused.
   * @param peer - the authenticated id of the peer, `null` if it is anonymous
   * @param signed - whether the model verifies signatures (so `update[2]` is proven, not claimed)
   */
  authorize(update: Update, peer: string | null, signed: boolean): string | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isField = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_AUTH_FIELD_LENGTH;

/**
 * Reads the `auth` field of a peer's header. Anything that is not a well-formed version-1 offer
 * counts as no offer: the peer is then anonymous, and no proof is sent to it.
 * @param value - `header.auth`
 * @returns the offer, or `null`
 */
export function readAuthOffer(value: unknown): AuthOffer | null {
  if (!isObject(value) || value.v !== AUTH_VERSION || !isField(value.challenge)) return null;
  return typeof value.scheme === 'string'
    ? { v: AUTH_VERSION, challenge: value.challenge, scheme: value.scheme }
    : { v: AUTH_VERSION, challenge: value.challenge };
}

/**
 * Whether a parsed message is a proof message: an object with `auth` and no `clock` (a header
 * always has `clock`; the original requires it).
 */
export function isAuthMessage(value: Record<string, unknown>): boolean {
  return !('clock' in value) && 'auth' in value;
}

/**
 * Checks a proof message `{"auth": {...}}` from a peer.
 * @throws RemoteProtocolError ERR_SB_AUTH_FAILED for a malformed proof
 */
export function validateAuthProof(value: Record<string, unknown>): AuthProof {
  const body = value.auth;
  if (!isObject(body) || body.v !== AUTH_VERSION || !isField(body.id) || !isField(body.sig)) {
    throw new RemoteProtocolError('ERR_SB_AUTH_FAILED', 'auth proof expected {"auth":{"v":1,"id":string,"sig":string}}', { input: value });
  }
  if (body.key !== undefined && !isField(body.key)) {
    throw new RemoteProtocolError('ERR_SB_AUTH_FAILED', 'auth proof "key" expected a string', { input: value });
  }
  return body.key === undefined
    ? { v: AUTH_VERSION, id: body.id, sig: body.sig }
    : { v: AUTH_VERSION, id: body.id, sig: body.sig, key: body.key };
}
