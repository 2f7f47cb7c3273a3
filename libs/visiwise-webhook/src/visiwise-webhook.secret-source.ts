import type { OptionalFactoryDependency } from '@nestjs/common';
import { SECRET_ENV_VARIABLE } from './visiwise-webhook.constants';

interface ConfigServiceLike {
  get(key: string): unknown;
}

type ConfigModuleExports = { ConfigService: abstract new (...args: never[]) => ConfigServiceLike };

/**
 * An optional injection of @nestjs/config's ConfigService. @nestjs/config is an optional peer
 * dependency, hence the lazy require; without it the token is a symbol nothing provides, which
 * optional injection resolves to `undefined`. Injecting (rather than looking the service up through
 * ModuleRef) makes Nest create ConfigService, and its loaders run, before we read it.
 */
export function optionalConfigServiceDependency(): OptionalFactoryDependency {
  let token: OptionalFactoryDependency['token'] = Symbol('ConfigService (not installed)');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    token = (require('@nestjs/config') as ConfigModuleExports).ConfigService;
  } catch {
    // Not installed: fall back to process.env.
  }
  return { token, optional: true };
}

/**
 * Reads VISIWISE_WEBHOOK_SECRET through ConfigService when the app has a global ConfigModule (so
 * `.env` files and custom loaders apply), otherwise from process.env.
 */
export function readSecretFromConfig(configService: unknown): string | undefined {
  const fromConfig = isConfigService(configService)
    ? configService.get(SECRET_ENV_VARIABLE)
    : undefined;
  return typeof fromConfig === 'string' ? fromConfig : process.env[SECRET_ENV_VARIABLE];
}

function isConfigService(value: unknown): value is ConfigServiceLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { get?: unknown }).get === 'function'
  );
}
