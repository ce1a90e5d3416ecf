/**
 * @module key-files
 * Key pairs on disk: {@link writeKeyPair} (what `scuttlebutt keygen` calls) writes the private key
 * readable by its owner only (0600, in a directory created 0700), and {@link loadKeyPair} reads
 * one back, refusing a private key that group or others can read, as ssh does. File names follow
 * the seed README: the private key in `NAME`, the public key in `NAME.pem`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalProtocolError } from '../errors.js';
import { generateKeyPair, type KeyPair, keyPairFromPem } from './key-pair.js';
import type { SchemeName } from './types.js';

/** Mode of a private key file: read and write for the owner only. */
export const PRIVATE_KEY_MODE = 0o600;
/** Mode of a public key file. */
export const PUBLIC_KEY_MODE = 0o644;
/** Mode of a key directory that {@link writeKeyPair} creates. */
export const KEY_DIR_MODE = 0o700;

/** Options of {@link writeKeyPair}. */
export interface WriteKeyPairOptions {
  /** `'ed25519'` (default) or `'rsa-sha1'`. */
  readonly scheme?: SchemeName;
  /** File name of the private key; the public key goes to `NAME.pem`. Default {@link defaultKeyName}. */
  readonly name?: string;
  /** RSA modulus length (default 2048). */
  readonly bits?: number;
  /** Replace existing files (atomically); by default an existing file is an error. */
  readonly overwrite?: boolean;
  /** Write this pair instead of generating one. */
  readonly keyPair?: KeyPair;
}

/** A key pair and where it was written. */
export interface WrittenKeyPair extends KeyPair {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
}

/** Options of {@link loadKeyPair}. */
export interface LoadKeyPairOptions {
  /** The public key file (default `PRIVATE.pem` when it exists; otherwise derived). */
  readonly publicKeyPath?: string;
  /** Accept a private key file that group or others can read (default false; ignored on Windows). */
  readonly allowInsecurePermissions?: boolean;
}

/**
 * The default file name of a key: `scuttlebutt-ed25519` or `scuttlebutt-rsa`.
 * @param scheme - the key's scheme
 */
export function defaultKeyName(scheme: SchemeName): string {
  return scheme === 'ed25519' ? 'scuttlebutt-ed25519' : 'scuttlebutt-rsa';
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new RangeError(`"name" expected a plain file name, got ${JSON.stringify(name)}`);
  }
  return name;
}

async function writeFileMode(path: string, text: string, mode: number, overwrite: boolean): Promise<void> {
  if (!overwrite) {
    // 'wx': created here or not at all, so an existing key is never clobbered.
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'wx', mode);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'EEXIST')
        throw new LocalProtocolError('ERR_SB_INVALID_KEY', `${path} already exists (pass overwrite: true to replace it)`, { cause });
      throw cause;
    }
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(mode); // the umask may have removed bits we want (0644 under umask 077)
    } finally {
      await handle.close();
    }
    return;
  }
  const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Generates a key pair (or takes `options.keyPair`) and writes it to `dir`: the private key to
 * `dir/NAME` with mode 0600, the public key to `dir/NAME.pem` with mode 0644. `dir` is created
 * with mode 0700 if it does not exist.
 * @param dir - the directory
 * @param options - scheme, file name, RSA bits, overwrite
 * @returns the pair with its id and both paths
 * @throws LocalProtocolError ERR_SB_INVALID_KEY if a file exists and `overwrite` is not set;
 *   RangeError for a bad name or bits
 * @example
 * ```ts
 * const { id, privateKeyPath } = await writeKeyPair('./keys') // ed25519
 * const legacy = await writeKeyPair('./keys', { scheme: 'rsa-sha1', bits: 2048 })
 * ```
 */
export async function writeKeyPair(dir: string, options: WriteKeyPairOptions = {}): Promise<WrittenKeyPair> {
  const pair =
    options.keyPair ??
    generateKeyPair(
      options.bits === undefined ? { scheme: options.scheme ?? 'ed25519' } : { scheme: options.scheme ?? 'ed25519', bits: options.bits },
    );
  const name = checkName(options.name ?? defaultKeyName(pair.scheme));
  await mkdir(dir, { recursive: true, mode: KEY_DIR_MODE });
  const privateKeyPath = join(dir, name);
  const publicKeyPath = `${privateKeyPath}.pem`;
  const overwrite = options.overwrite === true;
  await writeFileMode(privateKeyPath, pair.privateKeyPem, PRIVATE_KEY_MODE, overwrite);
  try {
    await writeFileMode(publicKeyPath, pair.publicKeyPem, PUBLIC_KEY_MODE, overwrite);
  } catch (error) {
    if (!overwrite) await rm(privateKeyPath, { force: true }); // no half-written pair
    throw error;
  }
  await chmod(privateKeyPath, PRIVATE_KEY_MODE);
  return Object.freeze({ ...pair, privateKeyPath, publicKeyPath });
}

function checkMode(path: string, mode: number, allowInsecure: boolean | undefined): void {
  if (allowInsecure === true || process.platform === 'win32') return;
  if ((mode & 0o077) !== 0) {
    throw new LocalProtocolError(
      'ERR_SB_INVALID_KEY',
      `private key ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  }
}

function missing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Reads a key pair written by {@link writeKeyPair}, or by ssh-keygen as the seed README says
 * (`ssh-keygen -t rsa -m PEM -f KEY` and `ssh-keygen -e -f KEY.pub -m PEM > KEY.pem`).
 * @param privateKeyPath - the private key file
 * @param options - the public key file, permission check
 * @throws LocalProtocolError ERR_SB_INVALID_KEY for a key that cannot be used or a file others can read
 * @example
 * ```ts
 * const model = new Model(securityFor(await loadKeyPair('./keys/scuttlebutt-ed25519')))
 * ```
 */
export async function loadKeyPair(privateKeyPath: string, options: LoadKeyPairOptions = {}): Promise<KeyPair> {
  const info = await stat(privateKeyPath);
  checkMode(privateKeyPath, info.mode, options.allowInsecurePermissions);
  const privateKeyPem = await readFile(privateKeyPath, 'utf8');
  let publicKeyPem: string | undefined;
  try {
    publicKeyPem = await readFile(options.publicKeyPath ?? `${privateKeyPath}.pem`, 'utf8');
  } catch (error) {
    if (options.publicKeyPath !== undefined || !missing(error)) throw error;
  }
  return keyPairFromPem(privateKeyPem, publicKeyPem);
}

/** {@link loadKeyPair}, synchronously (for start-up code). */
export function loadKeyPairSync(privateKeyPath: string, options: LoadKeyPairOptions = {}): KeyPair {
  checkMode(privateKeyPath, statSync(privateKeyPath).mode, options.allowInsecurePermissions);
  const privateKeyPem = readFileSync(privateKeyPath, 'utf8');
  let publicKeyPem: string | undefined;
  try {
    publicKeyPem = readFileSync(options.publicKeyPath ?? `${privateKeyPath}.pem`, 'utf8');
  } catch (error) {
    if (options.publicKeyPath !== undefined || !missing(error)) throw error;
  }
  return keyPairFromPem(privateKeyPem, publicKeyPem);
}

/**
 * Writes a key pair synchronously with the same modes as {@link writeKeyPair}; never overwrites.
 * For scripts and tests that cannot await.
 */
export function writeKeyPairSync(dir: string, pair: KeyPair, name = defaultKeyName(pair.scheme)): WrittenKeyPair {
  const privateKeyPath = join(dir, checkName(name));
  const publicKeyPath = `${privateKeyPath}.pem`;
  for (const [path, text, mode] of [
    [privateKeyPath, pair.privateKeyPem, PRIVATE_KEY_MODE],
    [publicKeyPath, pair.publicKeyPem, PUBLIC_KEY_MODE],
  ] as const) {
    const fd = openSync(path, 'wx', mode);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }
  return Object.freeze({ ...pair, privateKeyPath, publicKeyPath });
}
