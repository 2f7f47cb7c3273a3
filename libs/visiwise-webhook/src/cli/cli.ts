import { Command, CommanderError } from 'commander';
import { redactKnownSecrets, redactSecretLikeText } from './cli-input';
import type { CliIo } from './cli-io.interface';
import { cliVersion } from './cli-version';
import { CLI_EXIT, CLI_NAME, CLI_SECRET_ENV, CliExitCode } from './cli.constants';
import { CliError } from './cli.error';
import { errorLine, hintLine, programDescription, unexpectedErrorMessage } from './cli.messages';
import { registerInboxCommand } from './inbox.command';
import { registerReplayCommand } from './replay.command';
import { registerSecretCommand } from './secret.command';
import { registerSendCommand } from './send.command';
import { registerVerifyCommand } from './verify.command';

/*
 * The `visiwise-webhook` command. This file has no shebang and no side effects: the package's
 * `bin/visiwise-webhook.js` calls `main()`, and tests call `runVisiwiseWebhookCli()` in-process
 * with their own streams and environment.
 */

/** Values that follow `--secret` (as `--secret X` or `--secret=X`) in the arguments. */
function secretsInArguments(args: readonly string[]): string[] {
  const found: string[] = [];
  args.forEach((arg, index) => {
    if (arg === '--secret') {
      const next = args[index + 1];
      if (next !== undefined) found.push(next);
    } else if (arg.startsWith('--secret=')) {
      found.push(arg.slice('--secret='.length));
    }
  });
  return found.flatMap((value) => value.split(/[\s,]+/));
}

/**
 * Builds the commander program for one run. Commands report their exit code through `report`;
 * failures are thrown as {@link CliError} and printed by {@link runVisiwiseWebhookCli}.
 */
export function createVisiwiseWebhookProgram(
  io: CliIo,
  report: (code: CliExitCode) => void,
): Command {
  const program = new Command(CLI_NAME)
    .description(programDescription())
    .version(cliVersion(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        io.stdout(text);
      },
      writeErr: (text) => {
        io.stderr(text);
      },
    });
  // Set before the commands are added, so that they inherit exitOverride and the output.
  registerSendCommand(program, io, report);
  registerSecretCommand(program, io, report);
  registerVerifyCommand(program, io, report);
  registerReplayCommand(program, io, report);
  registerInboxCommand(program, io, report);
  program.addHelpText(
    'after',
    `\nExit codes: ${CLI_EXIT.ok} success, ${CLI_EXIT.rejected} delivery refused or capture not verified, ` +
      `${CLI_EXIT.usage} usage or input error, ${CLI_EXIT.unreachable} endpoint unreachable.\n` +
      `Secrets come from --secret or ${CLI_SECRET_ENV} and are never printed.`,
  );
  return program;
}

/**
 * Runs the CLI with the given arguments (without `node` and the script path) and returns the exit
 * code. Everything is written through `io`, with any known secret (from `--secret` or the
 * environment) redacted, and anything shaped like a secret redacted from error output.
 */
export async function runVisiwiseWebhookCli(
  args: readonly string[],
  io: CliIo,
): Promise<CliExitCode> {
  const known = [...secretsInArguments(args), ...(io.env[CLI_SECRET_ENV] ?? '').split(/[\s,]+/)];
  const safeIo: CliIo = {
    ...io,
    stdout: (text) => {
      io.stdout(redactKnownSecrets(text, known));
    },
    stderr: (text) => {
      io.stderr(redactSecretLikeText(redactKnownSecrets(text, known)));
    },
  };
  let exitCode: CliExitCode = CLI_EXIT.ok;
  const program = createVisiwiseWebhookProgram(safeIo, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help / version).
      return error.exitCode === 0 ? CLI_EXIT.ok : CLI_EXIT.usage;
    }
    if (error instanceof CliError) {
      safeIo.stderr(errorLine(error.message));
      error.hints.forEach((hint) => {
        safeIo.stderr(hintLine(hint));
      });
      return error.exitCode;
    }
    const detail = error instanceof Error ? error.message : String(error);
    safeIo.stderr(errorLine(unexpectedErrorMessage(detail)));
    return CLI_EXIT.rejected;
  }
}

/** Entry point of the `visiwise-webhook` bin: runs with the process's arguments and streams. */
export function main(): void {
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
  void runVisiwiseWebhookCli(process.argv.slice(2), io).then((code) => {
    // exitCode rather than exit(): let pending output flush.
    process.exitCode = code;
  });
}
