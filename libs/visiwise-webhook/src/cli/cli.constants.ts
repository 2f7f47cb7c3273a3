/** Name of the command, as installed by the package's `bin`. */
export const CLI_NAME = 'visiwise-webhook';

/** Environment variable the CLI reads the secret(s) from when `--secret` is not given. */
export const CLI_SECRET_ENV = 'VISIWISE_WEBHOOK_SECRET';

/** Where `send` posts when `--url` is not given: the sample app's endpoint. */
export const DEFAULT_SEND_URL = 'http://localhost:3000/webhooks/visiwise';

/** Svix gives up on an attempt after 15 s; `send` waits as long by default. */
export const DEFAULT_SEND_TIMEOUT_MS = 15_000;

/**
 * Exit codes. Scripts can tell "the receiver said no" (1) from "you called me wrong" (2) and
 * "nothing answered" (3).
 */
export const CLI_EXIT = {
  /** Delivered and acknowledged (2xx), the capture verifies, or the command did its job. */
  ok: 0,
  /** The receiver refused the delivery (non-2xx), or the capture does not verify. */
  rejected: 1,
  /** Bad usage or input: unknown option, missing or malformed secret, unreadable or invalid file. */
  usage: 2,
  /** The endpoint (or Redis, or the database) could not be reached or did not answer in time. */
  unreachable: 3,
} as const;

/** One of {@link CLI_EXIT}'s values. */
export type CliExitCode = (typeof CLI_EXIT)[keyof typeof CLI_EXIT];
