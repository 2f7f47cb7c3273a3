import type { ResolvedDeliveryConfig } from './delivery/delivery-config';
import { type ResolvedEndpoint, resolveEndpoints } from './endpoints/endpoint-config';
import { DEFAULT_MAX_JSON_DEPTH } from './events/visiwise-event.parser';
import {
  invalidMaxBodyBytesMessage,
  invalidMaxJsonDepthMessage,
  invalidPayloadValidationMessage,
  invalidReadEnvelopeMessage,
  invalidReparseRawBodyMessage,
} from './http/http.messages';
import { IpAllowList, createIpAllowList } from './http/ip-allow-list';
import { VisiwiseConfigurationError } from './signature/visiwise-configuration.error';
import type { VisiwiseWebhookVerifier } from './signature/visiwise-webhook-verifier';
import type {
  VisiwisePayloadValidation,
  VisiwiseWebhookModuleOptions,
} from './visiwise-webhook-options.interface';

/** The module's options after defaults and validation, merged once (internal). */
export interface VisiwiseWebhookConfig {
  /**
   * The verifier of the first endpoint with static secrets (the single endpoint's, usually): what
   * the guard uses on an application's own route, and the exported `VisiwiseWebhookVerifier`.
   */
  readonly verifier: VisiwiseWebhookVerifier | undefined;
  /** Settings every endpoint shares (Redis, shutdown); the first endpoint's delivery settings. */
  readonly delivery: ResolvedDeliveryConfig;
  /** Every endpoint, in declaration order. */
  readonly endpoints: readonly ResolvedEndpoint[];
  /** Endpoints by name. */
  readonly endpointsByName: ReadonlyMap<string, ResolvedEndpoint>;
  /** Endpoints by route segment, lower-cased (empty without `endpoints`). */
  readonly endpointsBySegment: ReadonlyMap<string, ResolvedEndpoint>;
  /** The one endpoint at the module's path itself, when `endpoints` is not given. */
  readonly single: ResolvedEndpoint | undefined;
  readonly payload: {
    readonly validation: VisiwisePayloadValidation;
    /** The user's reader of bodies the built-in reader cannot use, never throwing. */
    readonly readEnvelope: ((rawBody: Buffer) => unknown) | undefined;
  };
  readonly http: {
    readonly maxBodyBytes: number;
    readonly maxJsonDepth: number;
    readonly reparseRawBody: boolean;
    /** Undefined: any address. */
    readonly allowList: IpAllowList | undefined;
  };
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function resolveHttpConfig(options: VisiwiseWebhookModuleOptions): VisiwiseWebhookConfig['http'] {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new VisiwiseConfigurationError(invalidMaxBodyBytesMessage());
  }
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (!Number.isSafeInteger(maxJsonDepth) || maxJsonDepth < 2) {
    throw new VisiwiseConfigurationError(invalidMaxJsonDepthMessage());
  }
  const reparseRawBody: unknown = options.reparseRawBody ?? false;
  if (typeof reparseRawBody !== 'boolean') {
    throw new VisiwiseConfigurationError(invalidReparseRawBodyMessage());
  }
  return {
    maxBodyBytes,
    maxJsonDepth,
    reparseRawBody,
    allowList: options.allowedIps === undefined ? undefined : createIpAllowList(options.allowedIps),
  };
}

function resolvePayloadConfig(
  options: VisiwiseWebhookModuleOptions,
): VisiwiseWebhookConfig['payload'] {
  const validation: unknown = options.payloadValidation ?? 'lenient';
  if (validation !== 'lenient' && validation !== 'strict') {
    throw new VisiwiseConfigurationError(invalidPayloadValidationMessage());
  }
  const read: unknown = options.readEnvelope;
  if (read !== undefined && typeof read !== 'function') {
    throw new VisiwiseConfigurationError(invalidReadEnvelopeMessage());
  }
  const userRead = options.readEnvelope;
  return {
    validation,
    readEnvelope:
      userRead === undefined
        ? undefined
        : (rawBody) => {
            try {
              return userRead(rawBody);
            } catch {
              // The user's reader failing is the same as it not knowing the body: kept unparseable.
              return undefined;
            }
          },
  };
}

/** Splits an environment value that may list several secrets (space- or comma-separated). */
export function splitSecretList(value: string): string[] {
  return value.split(/[\s,]+/).filter((part) => part !== '');
}

/**
 * Validates the options and builds the verifier. `fallbackSecret` is the environment /
 * ConfigService value used when `secret` is not given. Throws VisiwiseConfigurationError with a
 * message that names the fix and never the secret.
 */
export function resolveVisiwiseWebhookConfig(
  options: VisiwiseWebhookModuleOptions,
  fallbackSecret: string | undefined,
): VisiwiseWebhookConfig {
  const http = resolveHttpConfig(options);
  const payload = resolvePayloadConfig(options);
  const endpoints = resolveEndpoints(options, () =>
    fallbackSecret === undefined ? [] : splitSecretList(fallbackSecret),
  );
  const [first] = endpoints;
  if (first === undefined) {
    throw new Error('resolveEndpoints returned no endpoint');
  }
  return {
    verifier: endpoints.find((endpoint) => endpoint.verifier !== undefined)?.verifier,
    delivery: first.delivery,
    endpoints,
    endpointsByName: new Map(endpoints.map((endpoint) => [endpoint.name, endpoint])),
    endpointsBySegment: new Map(
      endpoints.flatMap((endpoint) =>
        endpoint.segment === undefined ? [] : [[endpoint.segment.toLowerCase(), endpoint]],
      ),
    ),
    single: options.endpoints === undefined ? first : undefined,
    payload,
    http,
  };
}
