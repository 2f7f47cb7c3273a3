import { ResolvedDeliveryConfig, resolveDeliveryConfig } from '../delivery/delivery-config';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { VisiwiseWebhookVerifier } from '../signature/visiwise-webhook-verifier';
import type {
  VisiwiseEndpointName,
  VisiwiseEndpointOptions,
  VisiwiseTenantOptions,
  VisiwiseWebhookModuleOptions,
} from '../visiwise-webhook-options.interface';
import { secretSourceHint } from '../visiwise-webhook.messages';
import {
  duplicateEndpointPathMessage,
  endpointSecretMissingMessage,
  invalidEndpointNameMessage,
  invalidEndpointPathMessage,
  invalidTenantOptionsMessage,
  noEndpointsMessage,
  secretAndTenantsMessage,
} from './endpoints.messages';

/**
 * A configured endpoint's name as the events' type says it: `VisiwiseEndpointName` is `string`
 * until the application declares its names in `VisiwiseEndpointRegistry`, and the names reaching
 * here are the configured ones, which that declaration lists.
 */
export function asEndpointName(name: string): VisiwiseEndpointName {
  // Needed only once the application augments the registry; unnecessary (to the linter) before.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return name as VisiwiseEndpointName;
}

/** Name of the module's one endpoint when `endpoints` is not given. */
export const DEFAULT_ENDPOINT_NAME = 'default';

const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ROUTE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A tenant endpoint's lookup settings, validated (internal). */
export interface ResolvedTenantOptions {
  readonly resolveSecret: VisiwiseTenantOptions['resolveSecret'];
  readonly cacheSize: number;
  readonly cacheTtlMs: number;
  readonly unknownTtlMs: number;
  readonly timeoutMs: number;
}

/** One endpoint with every default applied and validated (internal). */
export interface ResolvedEndpoint {
  readonly name: string;
  /** Its route segment under the module's path; undefined for the single endpoint at the path. */
  readonly segment: string | undefined;
  /** Verifier of its static secrets; undefined for a tenant endpoint. */
  readonly verifier: VisiwiseWebhookVerifier | undefined;
  readonly tenants: ResolvedTenantOptions | undefined;
  readonly toleranceSeconds: number | undefined;
  readonly delivery: ResolvedDeliveryConfig;
}

function positive(value: unknown, fallback: number): number | undefined {
  const resolved = value ?? fallback;
  return typeof resolved === 'number' && Number.isFinite(resolved) && resolved > 0
    ? resolved
    : undefined;
}

function resolveTenants(tenants: VisiwiseTenantOptions, where: string): ResolvedTenantOptions {
  if (typeof tenants.resolveSecret !== 'function') {
    throw new VisiwiseConfigurationError(invalidTenantOptionsMessage(where, 'resolveSecret'));
  }
  const number = (
    field: 'cacheSize' | 'cacheTtlSeconds' | 'unknownTtlSeconds' | 'timeoutMs',
    fallback: number,
  ): number => {
    const value = positive(tenants[field], fallback);
    if (value === undefined) {
      throw new VisiwiseConfigurationError(invalidTenantOptionsMessage(where, field));
    }
    return value;
  };
  return {
    resolveSecret: tenants.resolveSecret.bind(tenants),
    cacheSize: Math.floor(number('cacheSize', 1000)),
    cacheTtlMs: number('cacheTtlSeconds', 300) * 1000,
    unknownTtlMs: number('unknownTtlSeconds', 30) * 1000,
    timeoutMs: number('timeoutMs', 2000),
  };
}

function buildVerifier(
  secrets: NonNullable<VisiwiseWebhookModuleOptions['secret']>,
  toleranceSeconds: number | undefined,
): VisiwiseWebhookVerifier {
  return new VisiwiseWebhookVerifier({
    secrets,
    ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }),
  });
}

/** The module's options as one endpoint sees them: its own settings over the shared ones. */
function endpointDeliveryOptions(
  shared: VisiwiseWebhookModuleOptions,
  name: string,
  own: VisiwiseEndpointOptions,
): VisiwiseWebhookModuleOptions {
  const idempotency = shared.idempotency ?? {};
  const queue = shared.queue ?? {};
  const deadLetters = shared.deadLetters ?? {};
  return {
    ...shared,
    delivery: own.delivery ?? shared.delivery,
    idempotency: {
      ...idempotency,
      ...own.idempotency,
      keyPrefix:
        own.idempotency?.keyPrefix ?? `${idempotency.keyPrefix ?? 'visiwise:delivery:'}${name}:`,
    },
    queue: {
      ...queue,
      ...own.queue,
      name: own.queue?.name ?? `${queue.name ?? 'visiwise-webhooks'}-${name}`,
    },
    deadLetters: {
      ...deadLetters,
      ...own.deadLetters,
      keyPrefix:
        own.deadLetters?.keyPrefix ?? `${deadLetters.keyPrefix ?? 'visiwise:dead-letter:'}${name}:`,
    },
  };
}

/**
 * The endpoints of a registration: the single `default` one at the module's path, or the declared
 * `endpoints`, each validated (names, paths unique, a secret or a tenant lookup each). `fallback`
 * reads `VISIWISE_WEBHOOK_SECRET`; it is only called when an endpoint needs it.
 */
export function resolveEndpoints(
  options: VisiwiseWebhookModuleOptions,
  fallback: () => string[],
): ResolvedEndpoint[] {
  const sharedSecret = (): NonNullable<VisiwiseWebhookModuleOptions['secret']> =>
    options.secret ?? fallback();
  // Keyed by the declared names in the application's types; any string at run time. (Needed once
  // the application augments the registry; unnecessary, to the linter, before.)
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  const declared = options.endpoints as
    Readonly<Record<string, VisiwiseEndpointOptions | undefined>> | undefined;
  if (declared === undefined) {
    if (options.tenants !== undefined && options.secret !== undefined) {
      throw new VisiwiseConfigurationError(secretAndTenantsMessage('The module'));
    }
    const tenants =
      options.tenants === undefined ? undefined : resolveTenants(options.tenants, 'The module');
    return [
      {
        name: DEFAULT_ENDPOINT_NAME,
        segment: undefined,
        verifier: tenants
          ? undefined
          : withSecretHint(() => buildVerifier(sharedSecret(), options.toleranceSeconds)),
        tenants,
        toleranceSeconds: options.toleranceSeconds,
        delivery: resolveDeliveryConfig(options),
      },
    ];
  }
  const names = Object.keys(declared);
  if (names.length === 0) {
    throw new VisiwiseConfigurationError(noEndpointsMessage());
  }
  const bySegment = new Map<string, string>();
  return names.map((name) => {
    if (!ENDPOINT_NAME.test(name)) {
      throw new VisiwiseConfigurationError(invalidEndpointNameMessage(name));
    }
    const own = declared[name] ?? {};
    const segment = own.path ?? name;
    if (typeof segment !== 'string' || !ROUTE_SEGMENT.test(segment)) {
      throw new VisiwiseConfigurationError(invalidEndpointPathMessage(name));
    }
    const taken = bySegment.get(segment.toLowerCase());
    if (taken !== undefined) {
      throw new VisiwiseConfigurationError(duplicateEndpointPathMessage(taken, name, segment));
    }
    bySegment.set(segment.toLowerCase(), name);
    const where = `Endpoint "${name}"`;
    if (own.tenants !== undefined && own.secret !== undefined) {
      throw new VisiwiseConfigurationError(secretAndTenantsMessage(where));
    }
    const toleranceSeconds = own.toleranceSeconds ?? options.toleranceSeconds;
    const tenants = own.tenants === undefined ? undefined : resolveTenants(own.tenants, where);
    let verifier: VisiwiseWebhookVerifier | undefined;
    if (!tenants) {
      const secret = own.secret ?? options.secret ?? fallback();
      if (Array.isArray(secret) && secret.length === 0) {
        throw new VisiwiseConfigurationError(endpointSecretMissingMessage(name));
      }
      verifier = withEndpoint(name, () => buildVerifier(secret, toleranceSeconds));
    }
    return {
      name,
      segment,
      verifier,
      tenants,
      toleranceSeconds,
      delivery: resolveDeliveryConfig(endpointDeliveryOptions(options, name, own)),
    };
  });
}

function withSecretHint<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof VisiwiseConfigurationError) {
      throw new VisiwiseConfigurationError(`${error.message}${secretSourceHint()}`);
    }
    throw error;
  }
}

function withEndpoint<T>(name: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof VisiwiseConfigurationError) {
      throw new VisiwiseConfigurationError(`Endpoint "${name}": ${error.message}`);
    }
    throw error;
  }
}
