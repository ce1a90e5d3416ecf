/**
 * @module cli/dump
 * `scuttlebutt dump`: prints the whole model of a running hub as one JSON object.
 */
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, type CliIo, type Command, EXIT, flag, parse, UsageError } from './_args.js';
import { withHubClient } from './hub-client.js';

const OPTIONS = CLIENT_OPTIONS;

/** The `dump` command. */
export const dumpCommand: Command = {
  name: 'dump',
  summary: 'print the whole model as one JSON object',
  help: `Usage: scuttlebutt dump [options]

Prints every live key of a running hub as one JSON object on stdout (deleted keys left out).

Options:
${CLIENT_OPTIONS_HELP}

Example:
  scuttlebutt dump > backup.json
`,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (flag(values, 'help')) {
      io.stdout.write(this.help);
      return EXIT.OK;
    }
    if (positionals.length !== 0) throw new UsageError(`dump takes no arguments, got ${positionals.length}`);
    return withHubClient(values, io, { reconnect: false }, async ({ model, peer }) => {
      const state = model.toJSON();
      await peer.close();
      io.stdout.write(`${JSON.stringify(state)}\n`);
      return EXIT.OK;
    });
  },
};
