import type { VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';

/**
 * The sample's PostgreSQL settings from DATABASE_URL: when set, every delivery is recorded in the
 * inbox (the package's tables, created at start in the schema VISIWISE_DATABASE_SCHEMA, default
 * `public`) and the idempotency store is PostgreSQL unless REDIS_URL is set too. Unset or empty:
 * the embedded defaults, no database.
 */
export function inboxOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<VisiwiseWebhookModuleOptions, 'database' | 'inbox'> {
  const url = env['DATABASE_URL'];
  if (url === undefined || url === '') {
    return {};
  }
  const schema = env['VISIWISE_DATABASE_SCHEMA'];
  return {
    database: { url, migrate: true, ...(schema ? { schema } : {}) },
    inbox: true,
  };
}
