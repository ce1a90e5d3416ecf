/**
 * @module scuttlebutt-ts/security
 * Signed updates, peer authentication and keys (issue 5; docs/security.md, THREAT_MODEL.md).
 *
 * - {@link ed25519}: the default scheme, self-certifying ids, signatures over a canonical encoding.
 * - {@link rsa}: the original `scuttlebutt/security` (RSA-SHA1), compatible both ways; also the
 *   default export, so `require('scuttlebutt/security')` code changes only its package name.
 * - {@link createAuth}: peer authentication in the handshake and per-peer write rights.
 * - Keys: {@link generateKeyPair}, {@link writeKeyPair} (0600), {@link loadKeyPair},
 *   {@link loadKeyPairFromEnv}, {@link securityFor}.
 */
import { rsa } from './rsa.js';

export type { AuthHandler, AuthOffer, AuthProof, AuthRequest } from '../protocol/auth.js';
export { type AccessPolicy, type AccessPolicyOptions, createAccessPolicy, defaultKeyOf, type Writers } from './access-policy.js';
export { type AuthOptions, createAuth, verifyAuthProof } from './auth.js';
export { encodeCanonical } from './canonical.js';
export { type Ed25519KeyInput, type Ed25519Options, ed25519, ed25519Seed, ed25519Verifier } from './ed25519.js';
export type { Ed25519Backend, Ed25519Signer } from './ed25519-backend.js';
export {
  createEd25519Security,
  createEd25519Verifier,
  ED25519_ID_PREFIX,
  ed25519Id,
  ed25519PublicKeyPem,
  publicKeyFromId,
  type Verifier,
} from './ed25519-core.js';
export { type EnvKeyOptions, loadKeyPairFromEnv } from './key-env.js';
export {
  defaultKeyName,
  KEY_DIR_MODE,
  type LoadKeyPairOptions,
  loadKeyPair,
  loadKeyPairSync,
  PRIVATE_KEY_MODE,
  PUBLIC_KEY_MODE,
  type WriteKeyPairOptions,
  type WrittenKeyPair,
  writeKeyPair,
  writeKeyPairSync,
} from './key-files.js';
export {
  type GenerateKeyPairOptions,
  generateKeyPair,
  type KeyPair,
  keyPairFromPem,
  MIN_RSA_BITS,
  type SecurityForOptions,
  securityFor,
} from './key-pair.js';
export { type NobleEd25519Like, nobleEd25519 } from './noble-ed25519.js';
export { nodeEd25519 } from './node-ed25519.js';
export { type RsaKey, type RsaKeys, type RsaSecurity, rsa, rsaId } from './rsa.js';
export { AUTH_SIGNING_CONTEXT, authSigningBytes, UPDATE_SIGNING_CONTEXT, updateSigningBytes } from './signed-bytes.js';
export type { SchemeName, Security } from './types.js';
export { webCryptoEd25519 } from './webcrypto-ed25519.js';

export default rsa;
