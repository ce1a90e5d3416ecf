/**
 * @module cli/keygen
 * `scuttlebutt keygen`: writes a key pair for signed updates (`scuttlebutt-ts/security`), the
 * private key owner-only (0600, in a 0700 directory), and prints the id it gives.
 */
import { isScuttlebuttError } from '../errors.js';
import { type WrittenKeyPair, writeKeyPair } from '../security/index.js';
import { type CliIo, type Command, EXIT, flag, parse, parsePositiveInt, str, UsageError } from './_args.js';

const OPTIONS = {
  dir: { type: 'string' },
  scheme: { type: 'string' },
  name: { type: 'string' },
  bits: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The `keygen` command. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'write a key pair for signed updates',
  help: `Usage: scuttlebutt keygen [options]

Writes a key pair to files: the private key readable by its owner only (0600, in a 0700
directory) and the public key beside it as NAME.pem. Prints one JSON line with the scheme, the
node id the key gives (ed25519 ids are derived from the public key) and both paths. An existing
key is never overwritten unless --force is given. Rotating a key means a new id: see
docs/security.md.

Options:
  --dir DIR         directory of the key files (default ./keys)
  --scheme SCHEME   ed25519 (default) or rsa-sha1 (compatible with scuttlebutt/security)
  --name NAME       file name of the private key (default scuttlebutt-ed25519 or scuttlebutt-rsa)
  --bits N          RSA modulus size (rsa-sha1 only; default 2048)
  --force           replace an existing key pair
  -h, --help        this help

Example:
  scuttlebutt keygen --dir ./keys
  SCUTTLEBUTT_KEY_FILE=./keys/scuttlebutt-ed25519 node app.js
`,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (flag(values, 'help')) {
      io.stdout.write(this.help);
      return EXIT.OK;
    }
    if (positionals.length > 0) throw new UsageError(`keygen takes no arguments, got ${positionals.length}`);
    const scheme = str(values, 'scheme') ?? 'ed25519';
    if (scheme !== 'ed25519' && scheme !== 'rsa-sha1')
      throw new UsageError(`--scheme expected ed25519 or rsa-sha1, got ${JSON.stringify(scheme)}`);
    const bitsText = str(values, 'bits');
    if (bitsText !== undefined && scheme !== 'rsa-sha1') throw new UsageError('--bits only applies to --scheme rsa-sha1');
    const name = str(values, 'name');
    let written: WrittenKeyPair;
    try {
      written = await writeKeyPair(str(values, 'dir') ?? 'keys', {
        scheme,
        overwrite: flag(values, 'force'),
        ...(name === undefined ? {} : { name }),
        ...(bitsText === undefined ? {} : { bits: parsePositiveInt('bits', bitsText) }),
      });
    } catch (error) {
      if (!isScuttlebuttError(error)) throw error;
      io.stderr.write(
        `scuttlebutt keygen: ${error.message} [${error.code}]${flag(values, 'force') ? '' : ' (use --force to replace it)'}\n`,
      );
      return EXIT.FAILURE;
    }
    io.stdout.write(
      `${JSON.stringify({ scheme: written.scheme, id: written.id, privateKey: written.privateKeyPath, publicKey: written.publicKeyPath })}\n`,
    );
    return EXIT.OK;
  },
};
