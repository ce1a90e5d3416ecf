/**
 * @module cli/get
 * `scuttlebutt get KEY`: prints the value of KEY on a running hub as JSON; exit 1 when absent.
 */
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, type CliIo, type Command, EXIT, flag, parse, UsageError } from './_args.js';
import { withHubClient } from './hub-client.js';

const OPTIONS = CLIENT_OPTIONS;

/** The `get` command. */
export const getCommand: Command = {
  name: 'get',
  summary: 'print the value of a key as JSON',
  help: `Usage: scuttlebutt get KEY [options]

Prints the value of KEY on a running hub as JSON on stdout. Exits 1, with a message on stderr,
when the key is absent (never set, or deleted).

Options:
${CLIENT_OPTIONS_HELP}

Example:
  scuttlebutt get greeting            # "hello"
`,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (flag(values, 'help')) {
      io.stdout.write(this.help);
      return EXIT.OK;
    }
    if (positionals.length !== 1) throw new UsageError(`get expects one KEY, got ${positionals.length} arguments`);
    const key = positionals[0] as string;
    return withHubClient(values, io, { reconnect: false }, async ({ model, peer }) => {
      const value = model.get(key);
      await peer.close();
      if (value === undefined || value === null) {
        io.stderr.write(`scuttlebutt: key not found: ${JSON.stringify(key)}\n`);
        return EXIT.FAILURE;
      }
      io.stdout.write(`${JSON.stringify(value)}\n`);
      return EXIT.OK;
    });
  },
};
