/**
 * @module cli/dump
 * `scuttlebutt dump`: prints the whole model of a running hub as one JSON object.
 */
import {
  CLIENT_OPTIONS,
  CLIENT_OPTIONS_HELP,
  type CliIo,
  type Command,
  DEFAULT_HUB,
  EXIT,
  flag,
  hubUrl,
  parse,
  str,
  UsageError,
} from './_args.js';
import { describeFailure, openHubClient } from './hub-client.js';

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
    const url = hubUrl(str(values, 'hub') ?? DEFAULT_HUB);
    try {
      const client = await openHubClient(values, io, { reconnect: false });
      const state = client.model.toJSON();
      await client.peer.close();
      io.stdout.write(`${JSON.stringify(state)}\n`);
    } catch (error) {
      io.stderr.write(`${describeFailure(error, url)}\n`);
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  },
};
