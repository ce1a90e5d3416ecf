/**
 * @module key-env
 * Keys from environment variables, for containers and CI where a key arrives as a secret:
 *
 * - `SCUTTLEBUTT_PRIVATE_KEY`: the private key PEM. Literal `\n` sequences (as `.env` files and
 *   some secret stores write them) are turned into newlines; base64 of the PEM is accepted too.
 * - `SCUTTLEBUTT_PUBLIC_KEY`: optional, the public key PEM (for RSA its exact bytes make the id).
 * - `SCUTTLEBUTT_KEY_FILE`: or the path of a private key file (read with {@link loadKeyPairSync}).
 *
 * The prefix `SCUTTLEBUTT` can be changed, to hold several identities in one environment.
 */
import { LocalProtocolError } from '../errors.js';
import { loadKeyPairSync } from './key-files.js';
import { type KeyPair, keyPairFromPem } from './key-pair.js';

/** Options of {@link loadKeyPairFromEnv}. */
export interface EnvKeyOptions {
  /** The environment (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Variable prefix (default `'SCUTTLEBUTT'`). */
  readonly prefix?: string;
  /** Passed to {@link loadKeyPairSync} for `*_KEY_FILE`. */
  readonly allowInsecurePermissions?: boolean;
}

function pemFrom(value: string, name: string): string {
  const text = value.trim();
  if (text.startsWith('-----BEGIN')) return `${text.replace(/\\n/g, '\n')}\n`;
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  if (decoded.startsWith('-----BEGIN')) return decoded;
  throw new LocalProtocolError('ERR_SB_INVALID_KEY', `${name} holds neither a PEM key nor base64 of one`);
}

/**
 * Loads a key pair from environment variables.
 * @returns the pair, or `null` if none of the variables is set
 * @throws LocalProtocolError ERR_SB_INVALID_KEY for an unusable key, or when both a key and a key
 *   file are given
 * @example
 * ```ts
 * const pair = loadKeyPairFromEnv() ?? (await loadKeyPair('./keys/scuttlebutt-ed25519'))
 * ```
 */
export function loadKeyPairFromEnv(options: EnvKeyOptions = {}): KeyPair | null {
  const env = options.env ?? process.env;
  const prefix = options.prefix ?? 'SCUTTLEBUTT';
  const privateName = `${prefix}_PRIVATE_KEY`;
  const publicName = `${prefix}_PUBLIC_KEY`;
  const fileName = `${prefix}_KEY_FILE`;
  const privateValue = env[privateName];
  const publicValue = env[publicName];
  const file = env[fileName];
  const has = (value: string | undefined): value is string => typeof value === 'string' && value.trim().length > 0;
  if (has(privateValue) && has(file)) {
    throw new LocalProtocolError('ERR_SB_INVALID_KEY', `set ${privateName} or ${fileName}, not both`);
  }
  if (has(file)) {
    return loadKeyPairSync(
      file,
      options.allowInsecurePermissions === undefined ? {} : { allowInsecurePermissions: options.allowInsecurePermissions },
    );
  }
  if (!has(privateValue)) return null;
  return keyPairFromPem(pemFrom(privateValue, privateName), has(publicValue) ? pemFrom(publicValue, publicName) : undefined);
}
