import type { CliExitCode } from './cli.constants';

/**
 * A failure the CLI reports as one line on stderr, exiting with `exitCode`. Commands throw it;
 * only the entry point prints and exits. Its message never contains a secret.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: CliExitCode,
    /** Further lines that help fix the problem (printed after the message, prefixed "hint:"). */
    readonly hints: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}
