export const queueNeedsRedisMessage = (): string =>
  "`delivery: 'queue'` persists events in Redis (BullMQ) or PostgreSQL (pg-boss): set the `redis` " +
  'option (a URL such as redis://127.0.0.1:6379, or ioredis options), or `database` (or ' +
  "`queue.engine: 'pg-boss'` with `database`).";

export const redisStoreNeedsRedisMessage = (): string =>
  "`idempotency.store: 'redis'` needs the `redis` option (a URL or ioredis options).";

export const invalidUnhandledJobsMessage = (): string =>
  "`queue.unhandledJobs` must be 'complete' or 'dead-letter'.";

export const invalidDeadLetterStoreMessage = (): string =>
  "`deadLetters.store` must be 'memory', 'redis' or 'postgres'.";

export const deadLetterStoreNeedsInboxMessage = (): string =>
  "`deadLetters.store: 'postgres'` keeps them in the delivery log: turn on `inbox` (with `database`).";

export const invalidQueueEngineMessage = (): string =>
  "`queue.engine` must be 'bullmq' (Redis) or 'pg-boss' (PostgreSQL).";

export const queueNeedsDatabaseMessage = (): string =>
  "`queue.engine: 'pg-boss'` persists events in PostgreSQL: set the `database` option (a URL " +
  'such as postgres://user@127.0.0.1:5432/app, or `{ pool }`).';

export const postgresStoreNeedsDatabaseMessage = (): string =>
  "`idempotency.store: 'postgres'` needs the `database` option (a URL or `{ pool }`).";

export const inboxNeedsDatabaseMessage = (): string =>
  '`inbox` records deliveries in PostgreSQL: set the `database` option (a URL such as ' +
  'postgres://user@127.0.0.1:5432/app, or `{ pool }`).';

export const invalidDatabaseMessage = (): string =>
  '`database` must be a PostgreSQL URL (postgres://user:password@host:5432/db) or ' +
  '`{ url | pool, schema?, tablePrefix?, migrate?: boolean, statementTimeoutMs? }` with exactly ' +
  'one of `url` and `pool` (a pg Pool).';

export const deadLetterStoreNeedsRedisMessage = (): string =>
  "`deadLetters.store: 'redis'` needs the `redis` option (a URL or ioredis options).";

export const keepUnparseableFailedLogMessage = (id: string, reason: string): string =>
  `Could not keep unparseable Visiwise delivery ${id} (${reason}) in the dead letters; answered ` +
  '503 so Visiwise retries.';

export const unparseableKeptLogMessage = (id: string, reason: string): string =>
  `Visiwise delivery ${id} is signed but could not be read as an event (${reason}); answered 200 ` +
  'and kept in the dead letters with its raw body. Replay it once the cause is fixed ' +
  '(readEnvelope option, or a package upgrade). Further deliveries with this reason are counted ' +
  'in the metrics and listed in the dead letters, not logged.';

export const unhandledJobLogMessage = (type: string, deadLetter: boolean): string =>
  `No @OnVisiwiseEvent handler in this worker takes "${type}" events; ` +
  (deadLetter
    ? 'their jobs go to the failed set (queue.unhandledJobs: dead-letter), to replay once a handler is deployed.'
    : 'their jobs are completed unhandled (set queue.unhandledJobs to dead-letter to keep them).');

export const unhandledJobReason = (type: string): string =>
  `no @OnVisiwiseEvent handler for "${type}" in the worker`;

export const invalidDeliveryModeMessage = (): string =>
  "`delivery` must be 'inline', 'background' or 'queue'.";

export const invalidPositiveNumberMessage = (option: string): string =>
  `\`${option}\` must be a positive finite number.`;

export const invalidQueueNameMessage = (): string =>
  '`queue.name` must be a non-empty string without ":".';

export const missingPackageMessage = (packages: string, feature: string): string =>
  `${feature} needs ${packages}, which is not installed. Run: npm install ${packages}`;

export const redisUnreachableMessage = (where: string, reason: string): string =>
  `Cannot reach Redis at ${where}: ${reason}. Start Redis or fix the \`redis\` option.`;

export const deliveryInProgressMessage = (): string =>
  'Another copy of this delivery is being processed right now; retry later.';

export const storeUnavailableMessage = (): string =>
  'The delivery could not be recorded (idempotency store unavailable); retry later.';

export const queueUnavailableMessage = (): string =>
  'The event could not be persisted (queue unavailable); retry later.';

export const shuttingDownMessage = (): string => 'This instance is shutting down; retry later.';

export const storeFailedLogMessage = (operation: string, id: string): string =>
  `Idempotency store failed to ${operation} delivery ${id}.`;

export const backgroundFailedLogMessage = (id: string, type: string): string =>
  `Background handling of Visiwise event ${id} (${type}) failed; it was already acknowledged, so ` +
  'Visiwise will not retry it. Listen to VISIWISE_DELIVERY_FAILED_EVENT to act on such failures.';

export const jobFailedLogMessage = (
  id: string,
  type: string,
  attempt: number,
  attempts: number,
  origin: { readonly endpoint: string; readonly tenant?: string | undefined } = {
    endpoint: 'default',
  },
): string =>
  `Queued Visiwise event ${id} (${type}) failed on attempt ${attempt} of ${attempts}` +
  (attempt >= attempts
    ? '; it is now in the failed set and can be replayed.'
    : '; it will be retried.') +
  originSuffix(origin);

/** ` (endpoint "eu", tenant "acme")` for a named endpoint or a tenant; nothing for the default. */
export const originSuffix = (origin: {
  readonly endpoint: string;
  readonly tenant?: string | undefined;
}): string => {
  const parts = [
    ...(origin.endpoint === 'default' ? [] : [`endpoint "${origin.endpoint}"`]),
    ...(origin.tenant === undefined ? [] : [`tenant "${origin.tenant}"`]),
  ];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
};

export const enqueueFailedLogMessage = (id: string): string =>
  `Could not persist Visiwise event ${id} to the queue; answered 503 so Visiwise retries.`;

export const shutdownTimeoutLogMessage = (pending: number, timeoutMs: number): string =>
  `${pending} Visiwise deliveries were still being handled ${timeoutMs} ms after shutdown began. ` +
  'Inline mode: they were not acknowledged, so Visiwise retries them. Background mode: they were ' +
  'acknowledged and are lost unless their handlers finish before the process exits (raise ' +
  "`shutdownTimeoutMs`, or use `delivery: 'queue'`).";

export const notQueueModeMessage = (): string =>
  "The failed-event (dead-letter) operations need `delivery: 'queue'`.";

export const workerShutdownTimeoutLogMessage = (timeoutMs: number): string =>
  `The Visiwise queue worker still had jobs running ${timeoutMs} ms after shutdown began; it was ` +
  "closed anyway, and BullMQ's stalled-job check hands those jobs to another worker.";

export const workerRestartLogMessage = (): string =>
  'The Visiwise queue worker had stopped (Redis connection lost); replacing it now that Redis is back.';

/** Logged once when an outage begins; the cause comes last, so that tests can match the rest. */
export const redisDownLogMessage = (where: string, affected: string, cause: string): string =>
  `Lost the connection to Redis at ${where}; affected: ${affected}. Deliveries that need it are ` +
  'answered 503 so Visiwise retries them; reconnecting with backoff. Logged once: a line follows ' +
  `when Redis is back. Cause: ${cause}`;

/** Logged once when an outage ends; its length comes last. */
export const redisUpLogMessage = (where: string, affected: string, outage: string): string =>
  `Redis at ${where} is reachable again; ${affected} work again, after an outage of ${outage}`;

export const redisErrorLogMessage = (source: string, reason: string): string =>
  `Visiwise ${source}: Redis error: ${reason}`;

export const redisListenerFailedLogMessage = (reason: string): string =>
  `A listener of the Redis connection state threw: ${reason}`;

export const workerCutLogMessage = (timeoutMs: number): string =>
  `The Visiwise queue worker's Redis connections did not close within ${timeoutMs} ms (Redis down ` +
  'or not answering); they were cut. Jobs the worker could not record as done stay in Redis and ' +
  "are picked up again by BullMQ's stalled-job check.";

export const connectionCutLogMessage = (what: string, timeoutMs: number): string =>
  `${what} did not close within ${timeoutMs} ms (Redis down or not answering); its connection was cut.`;
