/**
 * What the CLI needs from its process: output streams and environment. The entry point passes the
 * real process; tests pass capturing streams and their own environment, and run the same code.
 */
export interface CliIo {
  /** Writes to standard output (text as given, callers add line breaks). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
  /** Environment variables (`VISIWISE_WEBHOOK_SECRET`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative file paths are resolved against. */
  readonly cwd: string;
}
