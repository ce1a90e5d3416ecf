/**
 * @module cli/set
 * `scuttlebutt set KEY VALUE`: sets KEY on a running hub. VALUE is JSON when it parses as JSON,
 * else a string. Returns once the hub has received the update.
 */
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, type CliIo, type Command, EXIT, flag, parse, parseValue, UsageError } from './_args.js';
import { withHubClient } from './hub-client.js';

const OPTIONS = CLIENT_OPTIONS;

/** The `set` command. */
export const setCommand: Command = {
  name: 'set',
  summary: 'set a key (VALUE is JSON when it parses, else a string; null deletes)',
  help: `Usage: scuttlebutt set KEY VALUE [options]

Sets KEY on a running hub. VALUE is JSON when it parses as JSON (42, true, null, "quoted",
{"a":1}, [1,2]), else the string itself; null deletes the key. Waits for the hub's history first,
so that this write is newer than everything the hub has, and returns once the hub received it.

Options:
${CLIENT_OPTIONS_HELP}

Examples:
  scuttlebutt set greeting hello      # the string "hello"
  scuttlebutt set count 42            # the number 42
  scuttlebutt set greeting null       # delete
`,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (flag(values, 'help')) {
      io.stdout.write(this.help);
      return EXIT.OK;
    }
    if (positionals.length !== 2) throw new UsageError(`set expects KEY and VALUE, got ${positionals.length} arguments`);
    const key = positionals[0] as string;
    if (key === '__proto__') throw new UsageError('KEY must not be "__proto__"');
    const value = parseValue(positionals[1] as string);
    return withHubClient(values, io, { reconnect: false }, async ({ model, peer }) => {
      model.set(key, value);
      // A graceful close sends the update, then the WebSocket close frame; the hub answers the
      // close only after it has handled every message before it, so the update has arrived.
      const closed = new Promise<Error | null>((resolve) => peer.once('close', resolve));
      await peer.close();
      const error = await closed;
      if (error !== null) throw error;
      return EXIT.OK;
    });
  },
};
