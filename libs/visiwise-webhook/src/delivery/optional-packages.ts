import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type { VisiwiseRedisConnection } from '../visiwise-webhook-options.interface';
import { missingPackageMessage, redisUnreachableMessage } from './delivery.messages';
import type { MonitoredRedisClient } from './redis-connection.monitor';
import type { RedisDeadLetterClient } from './redis-dead-letter.store';
import type { RedisIdempotencyClient } from './redis-idempotency.store';

/*
 * ioredis, bullmq and pg-boss are optional peer dependencies: the embedded default (inline
 * delivery, memory store) needs none of them. They are required lazily, only by the features that
 * use them, and typed here by the little we use so that their types are not needed either.
 */

/** The ioredis client surface this package uses. */
export interface RedisClient
  extends RedisIdempotencyClient, RedisDeadLetterClient, MonitoredRedisClient {
  status: string;
  connect(): Promise<void>;
  ping(): Promise<string>;
  disconnect(): void;
  once(event: 'ready', listener: () => void): unknown;
}

/** First reconnection attempt after a lost connection, doubled on each failure... */
const RECONNECT_FIRST_DELAY_MS = 100;
/** ...up to this: a Redis that is back is found within 5 s, without hammering one that is not. */
const RECONNECT_MAX_DELAY_MS = 5000;

/**
 * ioredis `retryStrategy` of every connection the package makes (its own and BullMQ's, unless the
 * user's options bring one): exponential from 100 ms, capped at 5 s, never giving up (a number,
 * never `null`, so a long outage ends with a reconnection rather than a dead client).
 */
export function reconnectDelay(attempt: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 16);
  return Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** exponent, RECONNECT_MAX_DELAY_MS);
}

type RedisConstructor = {
  new (url: string, options: Record<string, unknown>): RedisClient;
  new (options: Record<string, unknown>): RedisClient;
};

/**
 * `require()`s an optional peer dependency, or throws a configuration error that names the
 * feature that needs it and the `npm install` that fixes it.
 */
export function requireOptional(name: string, packages: string, feature: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as unknown;
  } catch {
    throw new VisiwiseConfigurationError(missingPackageMessage(packages, feature));
  }
}

/** Loads bullmq (for the queue mode). */
export function loadBullMq(): typeof import('bullmq') {
  return requireOptional(
    'bullmq',
    'bullmq ioredis',
    "`delivery: 'queue'`",
  ) as typeof import('bullmq');
}

/** Loads pg-boss (for the queue mode on PostgreSQL); it needs pg, which the `database` option loads. */
export function loadPgBoss(): typeof import('pg-boss') {
  return requireOptional(
    'pg-boss',
    'pg-boss pg',
    "`delivery: 'queue'` with `queue.engine: 'pg-boss'`",
  ) as typeof import('pg-boss');
}

/**
 * Creates an ioredis client that connects lazily (call {@link connectRedis}). Extra options such as
 * `maxRetriesPerRequest` override the user's, because BullMQ and fail-fast semantics need them.
 */
export function createRedisClient(
  connection: VisiwiseRedisConnection,
  overrides: Record<string, unknown>,
  feature: string,
): RedisClient {
  const Redis = requireOptional('ioredis', 'ioredis', feature) as {
    default?: RedisConstructor;
  } & RedisConstructor;
  const Client = Redis.default ?? Redis;
  const options = { lazyConnect: true, ...overrides };
  return typeof connection === 'string'
    ? new Client(connection, { retryStrategy: reconnectDelay, ...options })
    : new Client({ retryStrategy: reconnectDelay, ...connection, ...options });
}

/**
 * Connection options for BullMQ, which then creates, reconnects and closes its own clients (sharing
 * our clients with it breaks on close: its wrapper re-emits their errors with no listener left).
 */
export function bullMqConnection(
  connection: VisiwiseRedisConnection,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  return typeof connection === 'string'
    ? { url: connection, retryStrategy: reconnectDelay, ...overrides }
    : { retryStrategy: reconnectDelay, ...connection, ...overrides };
}

/** Where a connection points, without credentials: safe to log. */
export function describeRedis(connection: VisiwiseRedisConnection): string {
  if (typeof connection === 'string') {
    try {
      const url = new URL(connection);
      return `${url.protocol}//${url.hostname}:${url.port || '6379'}`;
    } catch {
      return 'the configured Redis URL (unparseable)';
    }
  }
  return `${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}

/**
 * The secrets a connection carries (URL password, `password` option), for masking them should an
 * error message ever quote one.
 */
export function redisSecrets(connection: VisiwiseRedisConnection): string[] {
  if (typeof connection !== 'string') {
    return typeof connection.password === 'string' ? [connection.password] : [];
  }
  try {
    const url = new URL(connection);
    return [url.password, decodeURIComponent(url.password)].filter((secret) => secret !== '');
  } catch {
    return [];
  }
}

/** Connects and pings, failing with a message that names the server (never the password). */
export async function connectRedis(
  client: RedisClient,
  connection: VisiwiseRedisConnection,
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        if (client.status === 'wait') {
          await client.connect();
        }
        await client.ping();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(redisUnreachableMessage(describeRedis(connection), reason));
  } finally {
    clearTimeout(timer);
  }
}
