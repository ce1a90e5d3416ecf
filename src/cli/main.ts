#!/usr/bin/env node
/**
 * @module cli/main
 * The entry point of the `scuttlebutt` command (the package's `bin`): runs {@link main} on the
 * process's arguments and streams and exits with its code.
 */
import { EXIT } from './_args.js';
import { main } from './cli.js';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
    // Nothing should be left running; if something is, do not hang the shell.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`scuttlebutt: ${String(error)}\n`);
    process.exit(EXIT.FAILURE);
  },
);
