import { ResolvedDeliveryConfig, resolveDeliveryConfig } from './delivery/delivery-config';
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
import { VisiwiseWebhookVerifier } from './signature/visiwise-webhook-verifier';
import type {
  VisiwisePayloadValidation,
  VisiwiseWebhookModuleOptions,
} from './visiwise-webhook-options.interface';
import { secretSourceHint } from './visiwise-webhook.messages';

/** The module's options after defaults and validation, merged once (internal). */
export interface VisiwiseWebhookConfig {
  readonly verifier: VisiwiseWebhookVerifier;
  readonly delivery: ResolvedDeliveryConfig;
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
  const secrets =
    options.secret ?? (fallbackSecret === undefined ? [] : splitSecretList(fallbackSecret));
  const delivery = resolveDeliveryConfig(options);
  const http = resolveHttpConfig(options);
  const payload = resolvePayloadConfig(options);
  try {
    return {
      verifier: new VisiwiseWebhookVerifier({
        secrets,
        ...(options.toleranceSeconds === undefined
          ? {}
          : { toleranceSeconds: options.toleranceSeconds }),
      }),
      delivery,
      payload,
      http,
    };
  } catch (error) {
    if (error instanceof VisiwiseConfigurationError) {
      throw new VisiwiseConfigurationError(`${error.message}${secretSourceHint()}`);
    }
    throw error;
  }
}
