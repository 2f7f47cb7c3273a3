import type { Command } from 'commander';
import { generateVisiwiseWebhookSecret } from '../testing/sign-visiwise-webhook';
import type { CliIo } from './cli-io.interface';
import { CLI_EXIT, CliExitCode } from './cli.constants';
import { secretDescription, secretGenerateDescription } from './cli.messages';

/** Registers `secret generate`: prints a fresh `whsec_` secret on its own line, nothing else. */
export function registerSecretCommand(
  program: Command,
  io: CliIo,
  report: (code: CliExitCode) => void,
): void {
  const secret = program.command('secret').description(secretDescription());
  secret
    .command('generate')
    .description(secretGenerateDescription())
    .action(() => {
      // Printing it is the point: a new secret, not one the user configured.
      io.stdout(`${generateVisiwiseWebhookSecret()}\n`);
      report(CLI_EXIT.ok);
    });
}
