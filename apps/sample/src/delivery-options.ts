import type { VisiwiseDeliveryMode, VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';

const MODES: readonly VisiwiseDeliveryMode[] = ['inline', 'background', 'queue'];

/**
 * The sample's delivery settings from the environment: VISIWISE_DELIVERY (`inline`, default;
 * `background`; `queue`), REDIS_URL and DATABASE_URL. With REDIS_URL set, the idempotency store is
 * Redis (and the queue BullMQ), so two instances on two ports against one Redis handle each event
 * once; with DATABASE_URL alone, both are in PostgreSQL (the queue is pg-boss), the package's
 * tables migrated at start.
 */
export function deliveryOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<
  VisiwiseWebhookModuleOptions,
  'delivery' | 'redis' | 'database' | 'queue' | 'shutdownTimeoutMs'
> {
  const delivery = (env['VISIWISE_DELIVERY'] ?? 'inline').toLowerCase() as VisiwiseDeliveryMode;
  if (!MODES.includes(delivery)) {
    throw new Error(`VISIWISE_DELIVERY must be one of ${MODES.join(', ')}, not "${delivery}".`);
  }
  const redis =
    env['REDIS_URL'] === undefined || env['REDIS_URL'] === '' ? undefined : env['REDIS_URL'];
  const databaseUrl =
    env['DATABASE_URL'] === undefined || env['DATABASE_URL'] === ''
      ? undefined
      : env['DATABASE_URL'];
  if (delivery === 'queue' && redis === undefined && databaseUrl === undefined) {
    throw new Error(
      'VISIWISE_DELIVERY=queue needs REDIS_URL (e.g. redis://127.0.0.1:6379) or DATABASE_URL ' +
        '(e.g. postgres://postgres@127.0.0.1:5432/postgres).',
    );
  }
  // VISIWISE_QUEUE_NAME: optional, to keep several sample deployments apart on one Redis.
  const queueName = env['VISIWISE_QUEUE_NAME'];
  // VISIWISE_SHUTDOWN_TIMEOUT_MS: how long SIGTERM waits for work in flight (default 10 s); keep
  // the orchestrator's grace period (terminationGracePeriodSeconds) above it plus a few seconds.
  const shutdown = env['VISIWISE_SHUTDOWN_TIMEOUT_MS'];
  const shutdownTimeoutMs =
    shutdown === undefined || shutdown === '' ? undefined : Number(shutdown);
  if (shutdownTimeoutMs !== undefined && !(shutdownTimeoutMs > 0)) {
    throw new Error(
      `VISIWISE_SHUTDOWN_TIMEOUT_MS must be a positive number of ms, not "${shutdown}".`,
    );
  }
  return {
    delivery,
    ...(redis === undefined ? {} : { redis }),
    ...(databaseUrl === undefined ? {} : { database: { url: databaseUrl, migrate: true } }),
    ...(queueName ? { queue: { name: queueName } } : {}),
    ...(shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs }),
  };
}
