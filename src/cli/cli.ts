/**
 * @module cli/cli
 * The `scuttlebutt` command: `serve`, `get`, `set`, `watch`, `dump`, `keygen`, each with `--help`.
 * Exit codes: 0 success, 1 failure (unreachable hub, absent key), 2 usage error. `main.ts` runs
 * it on the process; this module only takes arguments and streams, so it can be tested.
 */
import { readFileSync } from 'node:fs';
import { type CliIo, type Command, EXIT, UsageError } from './_args.js';
import { dumpCommand } from './dump.js';
import { getCommand } from './get.js';
import { keygenCommand } from './keygen.js';
import { serveCommand } from './serve.js';
import { setCommand } from './set.js';
import { watchCommand } from './watch.js';

const COMMANDS: readonly Command[] = [serveCommand, getCommand, setCommand, watchCommand, dumpCommand, keygenCommand];

function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'scuttlebutt-ts' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}

/** The top-level help. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: scuttlebutt COMMAND [options]

Real-time replication with the scuttlebutt protocol: run a hub, read and write its keys.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "scuttlebutt COMMAND --help" for the options of a command.
Start here: "scuttlebutt serve", then open http://127.0.0.1:8470/ and run "scuttlebutt set hello world".
`;
}

/**
 * Runs the CLI.
 * @param argv - the arguments after the program name
 * @param io - streams and environment
 * @returns the exit code
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic?.help ?? mainHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`scuttlebutt: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}`);
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`scuttlebutt ${command.name}: ${error.message}\nRun "scuttlebutt ${command.name} --help" for usage.\n`);
      return EXIT.USAGE;
    }
    io.stderr.write(`scuttlebutt ${command.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.FAILURE;
  }
}
