import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type {
  VisiwiseDeliveryMode,
  VisiwiseRedisConnection,
  VisiwiseWebhookModuleOptions,
} from '../visiwise-webhook-options.interface';
import {
  deadLetterStoreNeedsRedisMessage,
  invalidDeadLetterStoreMessage,
  invalidDeliveryModeMessage,
  invalidPositiveNumberMessage,
  invalidQueueNameMessage,
  invalidUnhandledJobsMessage,
  queueNeedsRedisMessage,
  redisStoreNeedsRedisMessage,
} from './delivery.messages';
import type { VisiwiseIdempotencyStore } from './idempotency-store.interface';

/** Delivery settings with every default applied and validated, merged once (internal). */
export interface ResolvedDeliveryConfig {
  readonly mode: VisiwiseDeliveryMode;
  readonly redis: VisiwiseRedisConnection | undefined;
  readonly idempotency: {
    readonly store: 'memory' | 'redis' | VisiwiseIdempotencyStore;
    readonly ttlMs: number;
    readonly leaseMs: number;
    readonly maxEntries: number;
    readonly keyPrefix: string;
  };
  readonly queue: {
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
    readonly unhandledJobs: 'complete' | 'dead-letter';
  };
  readonly deadLetters: {
    readonly store: 'memory' | 'redis';
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
  const idempotency = options.idempotency ?? {};
  const queue = options.queue ?? {};
  if (mode === 'queue' && redis === undefined) {
    throw new VisiwiseConfigurationError(queueNeedsRedisMessage());
  }
  const store = idempotency.store ?? (redis === undefined ? 'memory' : 'redis');
  if (store === 'redis' && redis === undefined) {
    throw new VisiwiseConfigurationError(redisStoreNeedsRedisMessage());
  }
  const name = queue.name ?? 'visiwise-webhooks';
  if (typeof name !== 'string' || name === '' || name.includes(':')) {
    throw new VisiwiseConfigurationError(invalidQueueNameMessage());
  }
  const unhandledJobs: unknown = queue.unhandledJobs ?? 'complete';
  if (unhandledJobs !== 'complete' && unhandledJobs !== 'dead-letter') {
    throw new VisiwiseConfigurationError(invalidUnhandledJobsMessage());
  }
  const deadLetters = options.deadLetters ?? {};
  const deadLetterStore: unknown = deadLetters.store ?? (redis === undefined ? 'memory' : 'redis');
  if (deadLetterStore !== 'memory' && deadLetterStore !== 'redis') {
    throw new VisiwiseConfigurationError(invalidDeadLetterStoreMessage());
  }
  if (deadLetterStore === 'redis' && redis === undefined) {
    throw new VisiwiseConfigurationError(deadLetterStoreNeedsRedisMessage());
  }
  return {
    mode,
    redis,
    idempotency: {
      store,
      ttlMs: positive(idempotency.ttlSeconds, 36 * 3600, 'idempotency.ttlSeconds') * 1000,
      leaseMs: positive(idempotency.leaseSeconds, 300, 'idempotency.leaseSeconds') * 1000,
      maxEntries: Math.floor(positive(idempotency.maxEntries, 100_000, 'idempotency.maxEntries')),
      keyPrefix: idempotency.keyPrefix ?? 'visiwise:delivery:',
    },
    queue: {
      name,
      prefix: queue.prefix ?? 'bull',
      runWorker: queue.worker ?? true,
      concurrency: Math.floor(positive(queue.concurrency, 5, 'queue.concurrency')),
      attempts: Math.floor(positive(queue.attempts, 8, 'queue.attempts')),
      backoffDelayMs: positive(queue.backoffDelayMs, 1000, 'queue.backoffDelayMs'),
      enqueueTimeoutMs: positive(queue.enqueueTimeoutMs, 5000, 'queue.enqueueTimeoutMs'),
      keepCompletedMs:
        positive(queue.keepCompletedSeconds, 36 * 3600, 'queue.keepCompletedSeconds') * 1000,
      lockDurationMs: positive(queue.lockDurationMs, 30_000, 'queue.lockDurationMs'),
      stalledIntervalMs: positive(queue.stalledIntervalMs, 30_000, 'queue.stalledIntervalMs'),
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
