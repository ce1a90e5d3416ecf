/**
 * @module cli/watch
 * `scuttlebutt watch [KEY]`: prints the current value(s), then one JSON line per change, until
 * interrupted; reconnects when the hub goes away.
 */
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, type CliIo, type Command, EXIT, flag, parse, UsageError } from './_args.js';
import { describeFailure, withHubClient } from './hub-client.js';

const OPTIONS = { ...CLIENT_OPTIONS, 'changes-only': { type: 'boolean' } } as const;

/** The `watch` command. */
export const watchCommand: Command = {
  name: 'watch',
  summary: 'print one JSON line per change (of KEY, or of every key)',
  help: `Usage: scuttlebutt watch [KEY] [options]

Prints one JSON line per change on a running hub, {"key":K,"value":V} (V is null when the key is
deleted): first the current value of KEY (or of every key), then each change as it happens, until
interrupted (Ctrl-C). Reconnects when the hub goes away; changes made meanwhile are printed when
it is back.

Options:
  --changes-only    skip the current values, print only changes from now on
${CLIENT_OPTIONS_HELP}

Example:
  scuttlebutt watch greeting
`,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (flag(values, 'help')) {
      io.stdout.write(this.help);
      return EXIT.OK;
    }
    if (positionals.length > 1) throw new UsageError(`watch takes at most one KEY, got ${positionals.length} arguments`);
    const key = positionals[0];
    const print = (k: string, value: unknown): void => {
      io.stdout.write(`${JSON.stringify({ key: k, value: value ?? null })}\n`);
    };
    return withHubClient(values, io, { reconnect: true }, ({ model, peer, url }) => {
      if (!flag(values, 'changes-only')) {
        if (key === undefined) model.each((value, k) => value !== null && print(k, value));
        else if (model.has(key)) print(key, model.get(key));
      }
      model.on('change', (k: string, value: unknown) => {
        if (key === undefined || k === key) print(k, value);
      });
      peer.on('retry', (info: { delayMs: number; error: Error | null }) => {
        io.stderr.write(
          `scuttlebutt: connection to ${url} lost${info.error ? ` (${info.error.message})` : ''}; retrying in ${info.delayMs} ms\n`,
        );
      });
      const stop = new Promise<number>((resolve) => {
        const onSignal = (): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          void peer.close().then(() => resolve(EXIT.OK));
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        // The reader went away (`watch | head -3`): stop quietly, as `yes | head` does.
        io.stdout.on('error', onSignal);
        peer.once('close', (error: Error | null) => {
          if (error !== null) {
            io.stderr.write(`${describeFailure(error, url)}\n`);
            resolve(EXIT.FAILURE);
          }
        });
      });
      return stop;
    });
  },
};
