import type * as OpenTelemetryApi from '@opentelemetry/api';
import type * as PromClient from 'prom-client';

/*
 * prom-client and @opentelemetry/api are optional peer dependencies: the main entry must load
 * without them, so they are required lazily, once, when the module resolves its options (never at
 * import time). The `import type` lines above are erased by the compiler.
 */

/** The prom-client module, as this package uses it. */
export type PromClientModule = typeof PromClient;

/** The @opentelemetry/api module, as this package uses it. */
export type OpenTelemetryApiModule = typeof OpenTelemetryApi;

function isModuleNotFound(error: unknown, name: string): boolean {
  return (
    error instanceof Error &&
    (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
    error.message.includes(`'${name}'`)
  );
}

/**
 * Requires an optional package; `undefined` when it is not installed. Any other failure (a broken
 * installation) is thrown: hiding it would turn metrics off without a word.
 */
function requireIfInstalled(name: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as unknown;
  } catch (error) {
    if (isModuleNotFound(error, name)) {
      return undefined;
    }
    throw error;
  }
}

/** prom-client, or `undefined` when it is not installed. */
export function loadPromClient(): PromClientModule | undefined {
  return requireIfInstalled('prom-client') as PromClientModule | undefined;
}

/** @opentelemetry/api, or `undefined` when it is not installed. */
export function loadOpenTelemetryApi(): OpenTelemetryApiModule | undefined {
  return requireIfInstalled('@opentelemetry/api') as OpenTelemetryApiModule | undefined;
}
