import type { ModuleRef } from '@nestjs/core';
import { SECRET_ENV_VARIABLE } from './visiwise-webhook.constants';

interface ConfigServiceLike {
  get(key: string): unknown;
}

type ConfigModuleExports = { ConfigService: new (...args: never[]) => ConfigServiceLike };

/**
 * Reads VISIWISE_WEBHOOK_SECRET through @nestjs/config's ConfigService when the app uses it (so
 * `.env` files and custom loaders apply), otherwise from process.env. @nestjs/config is an
 * optional peer dependency, hence the lazy require.
 */
export function readSecretFromConfig(moduleRef: ModuleRef): string | undefined {
  const configService = findConfigService(moduleRef);
  const fromConfig = configService?.get(SECRET_ENV_VARIABLE);
  if (typeof fromConfig === 'string') {
    return fromConfig;
  }
  return process.env[SECRET_ENV_VARIABLE];
}

function findConfigService(moduleRef: ModuleRef): ConfigServiceLike | undefined {
  let configModule: ConfigModuleExports;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    configModule = require('@nestjs/config') as ConfigModuleExports;
  } catch {
    return undefined;
  }
  try {
    return moduleRef.get(configModule.ConfigService, { strict: false });
  } catch {
    return undefined;
  }
}
