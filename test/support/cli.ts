import { runVisiwiseWebhookCli } from '../../libs/visiwise-webhook/src/cli/cli';

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI's commander program in this process (same code as the bin), with its own env. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  cwd = process.cwd(),
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runVisiwiseWebhookCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    cwd,
  });
  return { code, stdout, stderr };
}
