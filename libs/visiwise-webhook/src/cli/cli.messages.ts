/*
 * Every message of the CLI, shared by the code and its tests. None of these functions receives a
 * secret; file paths, URLs without credentials, header names and reasons are safe to print.
 */
import { CLI_NAME, CLI_SECRET_ENV } from './cli.constants';

/* ---------------------------------- program ---------------------------------- */

/** Description of the program in `--help`. */
export const programDescription = (): string =>
  'Developer tools for Visiwise webhooks: send signed test events to your endpoint, generate ' +
  'secrets, and verify captured deliveries.';

/** The one stderr line of a failure: `visiwise-webhook: <message>`. */
export const errorLine = (message: string): string => `${CLI_NAME}: ${message}\n`;

/** A line that helps fix a failure, printed after its {@link errorLine}. */
export const hintLine = (hint: string): string => `hint: ${hint}\n`;

/** A failure the CLI did not anticipate (a bug). */
export const unexpectedErrorMessage = (detail: string): string =>
  `unexpected error: ${detail}. Please report it.`;

/* ---------------------------------- secrets ---------------------------------- */

/** Help text of `--secret`. */
export const secretOptionDescription = (): string =>
  `the endpoint's signing secret (whsec_...); several separated by spaces or commas (default: $${CLI_SECRET_ENV})`;

/** Neither `--secret` nor VISIWISE_WEBHOOK_SECRET is set. */
export const missingSecretMessage = (): string =>
  `no secret: pass --secret <whsec_...> or set ${CLI_SECRET_ENV} (the endpoint's signing secret ` +
  'from the Visiwise dashboard, or one from `visiwise-webhook secret generate`)';

/** `detail` is a VisiwiseConfigurationError message, which names a secret by position only. */
export const unusableSecretMessage = (detail: string): string => `unusable secret: ${detail}`;

/* ----------------------------------- files ----------------------------------- */

/** An input file cannot be read; `code` is the system error code (ENOENT...). */
export const unreadableFileMessage = (what: string, path: string, code: string): string =>
  `cannot read the ${what} file ${path} (${code})`;

/** An input file that must be JSON is not. */
export const invalidJsonFileMessage = (what: string, path: string): string =>
  `the ${what} file ${path} is not valid JSON`;

/** An input file holds valid JSON of the wrong shape. */
export const notAnObjectFileMessage = (what: string, path: string, expected: string): string =>
  `the ${what} file ${path} must hold ${expected}`;

/* ------------------------------------ send ----------------------------------- */

/** Description of `send` in `--help`. */
export const sendDescription = (): string =>
  'sign an event and POST it to a webhook endpoint, the way Visiwise (through Svix) delivers it';

/** The `<event-type>` argument is not a valid event type. */
export const invalidEventTypeArgumentMessage = (): string =>
  'the event type must be 1 to 128 letters, digits, ".", "_" or "-", such as shipment.tracked';

/** `send` has no built-in sample for the type and no `--data` was given. */
export const noSampleMessage = (type: string, known: readonly string[]): string =>
  `no built-in sample for "${type}": pass --data <file.json> with the event's data object ` +
  `(samples exist for ${known.join(', ')})`;

/** `--sample` names no sample of the type. */
export const unknownSampleMessage = (
  type: string,
  sample: string,
  known: readonly string[],
): string => `"${type}" has no sample "${sample}"; choose one of ${known.join(', ')}`;

/** `--sample` and `--data` were both given. */
export const sampleWithDataMessage = (): string => '--sample and --data cannot be used together';

/** `--url` is not an absolute http(s) URL. */
/** `--endpoint` or `--tenant` given empty. */
export const emptySegmentMessage = (): string =>
  '--endpoint and --tenant must not be empty: give the endpoint name and the tenant id';

export const invalidUrlMessage = (): string =>
  'the --url must be an absolute http:// or https:// URL, such as http://localhost:3000/webhooks/visiwise';

/** `--timestamp` is not whole Unix seconds. */
export const invalidSecondsMessage = (): string =>
  'must be a whole number of seconds since the Unix epoch, such as 1758181333';

/** `--timeout` is not a positive whole number of milliseconds. */
export const invalidTimeoutMessage = (): string => 'must be a whole number of milliseconds > 0';

/** First stdout line of `send`: what is posted where. */
export const sendingLine = (url: string, type: string, id: string, bytes: number): string =>
  `POST ${url} ${type} (svix-id ${id}, ${bytes} bytes)\n`;

/** Second stdout line of `send`: the status and the latency. */
export const answeredLine = (status: number, statusText: string, milliseconds: number): string =>
  `${status}${statusText === '' ? '' : ` ${statusText}`} in ${milliseconds.toFixed(1)} ms\n`;

/** The endpoint answered a non-2xx status (with the module's `reason`, if any). */
export const rejectedDeliveryMessage = (status: number, reason: string | undefined): string =>
  `the endpoint did not acknowledge the delivery: HTTP ${status}` +
  (reason === undefined ? '' : ` (${reason})`);

/** What usually causes a refusal with this status, if there is a common cause. */
export const rejectedDeliveryHint = (status: number): string | undefined => {
  if (status === 401) {
    return 'the receiver refused the signature or timestamp: check that --secret is the secret the receiver is configured with, and the clocks';
  }
  if (status === 404) {
    return 'nothing handles POST at this URL: check the path (default webhooks/visiwise) and any global prefix';
  }
  if (status === 409) {
    return 'a delivery with this svix-id is still being handled (a Svix retry would come later); send again with another --id to test a new event';
  }
  if (status === 503) {
    return 'the receiver could not take the event now (shutting down, or its queue store is unavailable); Visiwise retries later';
  }
  if (status === 500) {
    return 'the receiver failed to handle the event (a handler threw, or the app lacks rawBody: true); see its log';
  }
  return undefined;
};

/** No HTTP answer: connection refused, DNS or TLS failure (`detail` is the error code). */
export const unreachableMessage = (url: string, detail: string): string =>
  `could not reach ${url}: ${detail}`;

/** No complete answer within `--timeout`. */
export const timeoutMessage = (url: string, milliseconds: number): string =>
  `no answer from ${url} within ${milliseconds} ms`;

/* ----------------------------------- secret ---------------------------------- */

/** Description of `secret` in `--help`. */
export const secretDescription = (): string => 'work with webhook signing secrets';

/** Description of `secret generate` in `--help`. */
export const secretGenerateDescription = (): string =>
  'print a new random whsec_ secret (24 bytes, like Svix) for tests and local development';

/* ----------------------------------- verify ---------------------------------- */

/** Description of `verify` in `--help`. */
export const verifyDescription = (): string =>
  'check a captured delivery (headers + exact body) against the secret and say why it fails';

/** What the `--headers` file must hold. */
export const headersFileExpectation = (): string =>
  'a JSON object of header names to values, e.g. {"svix-id": "msg_...", "svix-timestamp": "...", "svix-signature": "v1,..."}';

/** The stdout line of a capture that verifies. */
export const verifiedLine = (id: string, signedAt: string, timestampChecked: boolean): string =>
  `verified: svix-id ${id}, signed at ${signedAt}` +
  (timestampChecked ? '' : ' (timestamp not checked: --ignore-timestamp)') +
  '\n';

/** A capture that does not verify: the verifier's reason and message. */
export const notVerifiedMessage = (reason: string, detail: string): string =>
  `not verified (${reason}): ${detail}`;

/** Hint for a timestamp outside the window: when it was signed and how far off the clock is. */
export const staleCaptureHint = (signedAt: string, ageSeconds: number): string =>
  `it was signed at ${signedAt}, ${Math.abs(ageSeconds)} s ${ageSeconds >= 0 ? 'before' : 'after'} ` +
  "this computer's clock; to check only the signature of a captured delivery, add --ignore-timestamp";

/** Hint when the capture verifies without the body file's final line break. */
export const trailingNewlineHint = (): string =>
  'the body file ends with a line break that was not part of the delivery: it verifies without ' +
  'it. Save the body exactly as received (no final newline)';

/** Hint for `invalid_signature`: how many signatures were checked against how many secrets. */
export const signatureCountHint = (header: string, v1Count: number, secretCount: number): string =>
  `${header} lists ${v1Count} v1 signature(s), checked against ${secretCount} secret(s); make sure ` +
  'the body file holds the exact bytes received (not re-formatted JSON) and the secret is the ' +
  "endpoint's current one";

/** Hint for `missing_headers`: the header names the file does have. */
export const headersFoundHint = (names: readonly string[]): string =>
  names.length === 0
    ? 'the headers file names no headers'
    : `headers in the file: ${names.join(', ')}`;

/** `--tolerance` is not a whole number of seconds. */
export const invalidToleranceArgumentMessage = (): string =>
  'must be a whole number of seconds >= 0';

/* ---------------------------------- replay ----------------------------------- */

/** Description of `replay` in `--help`. */
export const replayDescription = (): string =>
  'list or replay failed events of the queue delivery mode (the dead-letter set in Redis)';

/** `replay` needs exactly one of: an id, --all, --list. */
export const replayUsageMessage = (): string =>
  'give exactly one of: a delivery id (replay <svix-id>), --all, or --list';

/** No Redis URL. */
export const missingRedisMessage = (envName: string): string =>
  `no Redis: pass --redis <url> or set ${envName} (the same Redis as the application's \`redis\` option)`;

/** Redis did not answer; `where` has no credentials. */
export const redisUnreachableCliMessage = (where: string): string =>
  `cannot reach Redis at ${where}`;

/** One line of `replay --list`. */
export const failedEventLine = (event: {
  id: string;
  tenant: string | undefined;
  type: string | undefined;
  cause: string;
  attemptsMade: number;
  failedAt: Date | undefined;
  failedReason: string;
}): string =>
  `${event.id}${event.tenant === undefined ? '' : `\ttenant=${event.tenant}`}\t${event.type ?? '-'}\t${event.cause}\tattempts=${event.attemptsMade}\t` +
  `failedAt=${event.failedAt?.toISOString() ?? '-'}\t${event.failedReason.split('\n')[0] ?? ''}\n`;

/** `replay --list` found nothing. */
export const noFailedEventsMessage = (): string => 'no failed events';

/** One event was sent back to the queue. */
export const replayDoneMessage = (id: string): string => `replayed ${id}: it is back in the queue`;

/** `replay --all` result. */
export const replayAllDoneMessage = (count: number): string =>
  `replayed ${count} failed event(s): they are back in the queue`;

/** The id is not in the failed set. */
export const replayNotFoundMessage = (id: string): string =>
  `${id} is not in the failed set (never failed for good, already replayed, or another queue name)`;

/* ----------------------------------- inbox ----------------------------------- */

/** Description of `inbox` in `--help`. */
export const inboxDescription = (): string =>
  'manage the PostgreSQL tables of the Visiwise inbox (delivery log, idempotency claims)';

/** Description of `inbox migrate` in `--help`. */
export const inboxMigrateDescription = (): string =>
  'create or update the inbox tables (applies pending migrations; safe to run from several places at once)';

/** No database URL. */
export const missingDatabaseMessage = (envName: string): string =>
  `no database: pass --database-url <postgres://...> or set ${envName}`;

/** The database URL is not a postgres:// URL (never quoted: it may hold a password). */
export const invalidDatabaseUrlMessage = (): string =>
  'the --database-url must be a postgres:// or postgresql:// URL, such as postgres://app@localhost:5432/app';

/** PostgreSQL did not accept a connection; `where` has no credentials, `reason` is redacted. */
export const postgresUnreachableCliMessage = (where: string, reason: string): string =>
  `cannot reach PostgreSQL at ${where}: ${reason}`;

/** A migration could not be applied (redacted). */
export const inboxMigrateFailedMessage = (where: string, reason: string): string =>
  `could not migrate the inbox tables at ${where}: ${reason}`;

/** `inbox migrate` applied these versions. */
export const migrationsAppliedLine = (
  versions: readonly number[],
  where: string,
  schema: string,
  tablePrefix: string,
): string =>
  `applied migration(s) ${versions.join(', ')} at ${where} (schema ${schema}, table prefix ${tablePrefix})\n`;

/** `inbox migrate` found nothing to apply. */
export const migrationsUpToDateLine = (
  where: string,
  schema: string,
  tablePrefix: string,
): string =>
  `up to date: the inbox tables at ${where} (schema ${schema}, table prefix ${tablePrefix}) need no migration\n`;
