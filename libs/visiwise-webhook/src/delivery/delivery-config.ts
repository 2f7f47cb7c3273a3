import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type {
  VisiwiseDeliveryMode,
  VisiwiseRedisConnection,
  VisiwiseWebhookModuleOptions,
} from '../visiwise-webhook-options.interface';
import {
  deadLetterStoreNeedsInboxMessage,
  deadLetterStoreNeedsRedisMessage,
  inboxNeedsDatabaseMessage,
  invalidDatabaseMessage,
  invalidQueueEngineMessage,
  invalidQueueSchemaMessage,
  pgBossExpiryTooLongMessage,
  postgresStoreNeedsDatabaseMessage,
  queueNeedsDatabaseMessage,
  invalidDeadLetterStoreMessage,
  invalidDeliveryModeMessage,
  invalidPositiveNumberMessage,
  invalidQueueNameMessage,
  invalidUnhandledJobsMessage,
  queueNeedsRedisMessage,
  redisStoreNeedsRedisMessage,
} from './delivery.messages';
import type { VisiwiseIdempotencyStore } from './idempotency-store.interface';
import type { Pool } from 'pg';

/** The `database` option, resolved (internal). */
export interface ResolvedDatabaseConfig {
  readonly url: string | undefined;
  readonly pool: Pool | undefined;
  readonly schema: string | undefined;
  readonly tablePrefix: string | undefined;
  readonly migrate: boolean;
  readonly statementTimeoutMs: number;
  /** Schema of pg-boss's tables: `database.queueSchema`, or derived (see {@link pgBossSchemaFor}). */
  readonly queueSchema: string;
  /** Whether `queueSchema` was given rather than derived (for the message if it is invalid). */
  readonly queueSchemaGiven: boolean;
}

/** The `inbox` option, resolved (internal). */
export interface ResolvedInboxConfig {
  readonly retentionMs: number;
  readonly pruneIntervalMs: number;
  readonly pruneBatchSize: number;
}

/** Delivery settings with every default applied and validated, merged once (internal). */
export interface ResolvedDeliveryConfig {
  readonly mode: VisiwiseDeliveryMode;
  readonly redis: VisiwiseRedisConnection | undefined;
  readonly database: ResolvedDatabaseConfig | undefined;
  /** The delivery log; undefined when `inbox` is off. */
  readonly inbox: ResolvedInboxConfig | undefined;
  readonly idempotency: {
    readonly store: 'memory' | 'redis' | 'postgres' | VisiwiseIdempotencyStore;
    readonly ttlMs: number;
    readonly leaseMs: number;
    readonly maxEntries: number;
    readonly keyPrefix: string;
  };
  readonly queue: {
    readonly engine: 'bullmq' | 'pg-boss';
    readonly name: string;
    readonly prefix: string;
    readonly runWorker: boolean;
    readonly concurrency: number;
    readonly attempts: number;
    readonly backoffDelayMs: number;
    readonly enqueueTimeoutMs: number;
    readonly keepCompletedMs: number;
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    /** pg-boss only: how often an idle worker polls. */
    readonly pollingIntervalMs: number;
    readonly unhandledJobs: 'complete' | 'dead-letter';
  };
  readonly deadLetters: {
    readonly store: 'memory' | 'redis' | 'postgres';
    readonly maxEntries: number;
    readonly keyPrefix: string;
  };
  readonly shutdownTimeoutMs: number;
}

function positive(value: number | undefined, fallback: number, option: string): number {
  const resolved = value ?? fallback;
  if (typeof resolved !== 'number' || !Number.isFinite(resolved) || resolved <= 0) {
    throw new VisiwiseConfigurationError(invalidPositiveNumberMessage(option));
  }
  return resolved;
}

function resolveDatabase(
  option: VisiwiseWebhookModuleOptions['database'],
): ResolvedDatabaseConfig | undefined {
  if (option === undefined || option === '') {
    return undefined;
  }
  // Checked at run time: options often come from untyped configuration.
  const given: unknown = typeof option === 'string' ? { url: option } : option;
  if (typeof given !== 'object' || given === null) {
    throw new VisiwiseConfigurationError(invalidDatabaseMessage());
  }
  const { url, pool } = given as { url?: unknown; pool?: unknown };
  const hasUrl = typeof url === 'string' && url !== '';
  const hasPool = typeof pool === 'object' && pool !== null;
  if (hasUrl === hasPool || (pool !== undefined && !isPool(pool))) {
    throw new VisiwiseConfigurationError(invalidDatabaseMessage());
  }
  const options = given as Exclude<VisiwiseWebhookModuleOptions['database'], string | undefined>;
  const migrate: unknown = options.migrate ?? false;
  if (typeof migrate !== 'boolean') {
    throw new VisiwiseConfigurationError(invalidDatabaseMessage());
  }
  const queueSchemaGiven = options.queueSchema !== undefined;
  const queueSchema: unknown = options.queueSchema ?? pgBossSchemaFor(options);
  if (queueSchemaGiven && !isPgBossSchema(queueSchema)) {
    throw new VisiwiseConfigurationError(invalidQueueSchemaMessage(queueSchema, true));
  }
  return {
    url: hasUrl ? url : undefined,
    pool: hasPool ? (pool as Pool) : undefined,
    schema: options.schema,
    tablePrefix: options.tablePrefix,
    migrate,
    statementTimeoutMs: positive(options.statementTimeoutMs, 5000, 'database.statementTimeoutMs'),
    queueSchema: String(queueSchema),
    queueSchemaGiven,
  };
}

/**
 * The default schema of pg-boss's tables: `<tablePrefix>pgboss` (`visiwise_pgboss`), after
 * `<schema>_` when the package's tables are not in `public`. Everything the package stores is then
 * told apart by the same two options, so two registrations kept apart by them get two pg-boss
 * schemas too.
 */
export function pgBossSchemaFor(options: { schema?: unknown; tablePrefix?: unknown }): string {
  const schema = typeof options.schema === 'string' ? options.schema : 'public';
  const prefix = typeof options.tablePrefix === 'string' ? options.tablePrefix : 'visiwise_';
  return `${schema === 'public' ? '' : `${schema}_`}${prefix}pgboss`;
}

/**
 * pg-boss writes its schema name into its SQL unquoted, and refuses names over 50 characters:
 * a plain lower-case identifier (never folded, never read as SQL), not a `pg_` system name.
 */
function isPgBossSchema(value: unknown): value is string {
  return (
    typeof value === 'string' && /^[a-z_][a-z0-9_]{0,49}$/.test(value) && !value.startsWith('pg_')
  );
}

/** pg-boss refuses an expiry of 24 h or more. */
const PG_BOSS_MAX_EXPIRY_MS = 24 * 3600 * 1000;

function isPool(value: unknown): boolean {
  return typeof (value as { query?: unknown }).query === 'function';
}

function resolveInbox(
  option: VisiwiseWebhookModuleOptions['inbox'],
  database: ResolvedDatabaseConfig | undefined,
): ResolvedInboxConfig | undefined {
  if (option === undefined || option === false) {
    return undefined;
  }
  if (database === undefined) {
    throw new VisiwiseConfigurationError(inboxNeedsDatabaseMessage());
  }
  const given = option === true ? {} : option;
  return {
    retentionMs: positive(given.retentionDays, 30, 'inbox.retentionDays') * 24 * 3600 * 1000,
    pruneIntervalMs:
      positive(given.pruneIntervalSeconds, 3600, 'inbox.pruneIntervalSeconds') * 1000,
    pruneBatchSize: Math.floor(positive(given.pruneBatchSize, 1000, 'inbox.pruneBatchSize')),
  };
}

/** Validates the delivery options and applies defaults; throws a configuration error naming the option. */
export function resolveDeliveryConfig(
  options: VisiwiseWebhookModuleOptions,
): ResolvedDeliveryConfig {
  // Checked at run time: options often come from untyped configuration (env, JSON).
  const mode: unknown = options.delivery ?? 'inline';
  if (mode !== 'inline' && mode !== 'background' && mode !== 'queue') {
    throw new VisiwiseConfigurationError(invalidDeliveryModeMessage());
  }
  const redis = options.redis;
  const database = resolveDatabase(options.database);
  const inbox = resolveInbox(options.inbox, database);
  const idempotency = options.idempotency ?? {};
  const queue = options.queue ?? {};
  const engine: unknown =
    queue.engine ?? (redis === undefined && database !== undefined ? 'pg-boss' : 'bullmq');
  if (engine !== 'bullmq' && engine !== 'pg-boss') {
    throw new VisiwiseConfigurationError(invalidQueueEngineMessage());
  }
  if (mode === 'queue' && engine === 'bullmq' && redis === undefined) {
    throw new VisiwiseConfigurationError(queueNeedsRedisMessage());
  }
  if (mode === 'queue' && engine === 'pg-boss') {
    if (database === undefined) {
      throw new VisiwiseConfigurationError(queueNeedsDatabaseMessage());
    }
    if (!isPgBossSchema(database.queueSchema)) {
      throw new VisiwiseConfigurationError(invalidQueueSchemaMessage(database.queueSchema, false));
    }
  }
  const store =
    idempotency.store ??
    (redis !== undefined ? 'redis' : database !== undefined ? 'postgres' : 'memory');
  if (store === 'redis' && redis === undefined) {
    throw new VisiwiseConfigurationError(redisStoreNeedsRedisMessage());
  }
  if (store === 'postgres' && database === undefined) {
    throw new VisiwiseConfigurationError(postgresStoreNeedsDatabaseMessage());
  }
  const name = queue.name ?? 'visiwise-webhooks';
  if (typeof name !== 'string' || name === '' || name.includes(':')) {
    throw new VisiwiseConfigurationError(invalidQueueNameMessage());
  }
  const unhandledJobs: unknown = queue.unhandledJobs ?? 'complete';
  if (unhandledJobs !== 'complete' && unhandledJobs !== 'dead-letter') {
    throw new VisiwiseConfigurationError(invalidUnhandledJobsMessage());
  }
  const lockDurationMs = positive(queue.lockDurationMs, 30_000, 'queue.lockDurationMs');
  if (mode === 'queue' && engine === 'pg-boss' && lockDurationMs >= PG_BOSS_MAX_EXPIRY_MS) {
    throw new VisiwiseConfigurationError(pgBossExpiryTooLongMessage());
  }
  const deadLetters = options.deadLetters ?? {};
  const deadLetterStore: unknown =
    deadLetters.store ??
    (redis !== undefined ? 'redis' : inbox !== undefined ? 'postgres' : 'memory');
  if (
    deadLetterStore !== 'memory' &&
    deadLetterStore !== 'redis' &&
    deadLetterStore !== 'postgres'
  ) {
    throw new VisiwiseConfigurationError(invalidDeadLetterStoreMessage());
  }
  if (deadLetterStore === 'redis' && redis === undefined) {
    throw new VisiwiseConfigurationError(deadLetterStoreNeedsRedisMessage());
  }
  if (deadLetterStore === 'postgres' && inbox === undefined) {
    throw new VisiwiseConfigurationError(deadLetterStoreNeedsInboxMessage());
  }
  return {
    mode,
    redis,
    database,
    inbox,
    idempotency: {
      store,
      ttlMs: positive(idempotency.ttlSeconds, 36 * 3600, 'idempotency.ttlSeconds') * 1000,
      leaseMs: positive(idempotency.leaseSeconds, 300, 'idempotency.leaseSeconds') * 1000,
      maxEntries: Math.floor(positive(idempotency.maxEntries, 100_000, 'idempotency.maxEntries')),
      keyPrefix: idempotency.keyPrefix ?? 'visiwise:delivery:',
    },
    queue: {
      engine,
      name,
      prefix: queue.prefix ?? 'bull',
      runWorker: queue.worker ?? true,
      concurrency: Math.floor(positive(queue.concurrency, 5, 'queue.concurrency')),
      attempts: Math.floor(positive(queue.attempts, 8, 'queue.attempts')),
      backoffDelayMs: positive(queue.backoffDelayMs, 1000, 'queue.backoffDelayMs'),
      enqueueTimeoutMs: positive(queue.enqueueTimeoutMs, 5000, 'queue.enqueueTimeoutMs'),
      keepCompletedMs:
        positive(queue.keepCompletedSeconds, 36 * 3600, 'queue.keepCompletedSeconds') * 1000,
      lockDurationMs,
      stalledIntervalMs: positive(queue.stalledIntervalMs, 30_000, 'queue.stalledIntervalMs'),
      pollingIntervalMs: positive(queue.pollingIntervalMs, 2000, 'queue.pollingIntervalMs'),
      unhandledJobs,
    },
    deadLetters: {
      store: deadLetterStore,
      maxEntries: Math.floor(positive(deadLetters.maxEntries, 10_000, 'deadLetters.maxEntries')),
      keyPrefix: deadLetters.keyPrefix ?? 'visiwise:dead-letter:',
    },
    shutdownTimeoutMs: positive(options.shutdownTimeoutMs, 10_000, 'shutdownTimeoutMs'),
  };
}
