import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import { asEndpointName } from '../endpoints/endpoint-config';
import {
  EnvelopeParseResult,
  parseVisiwiseEnvelope,
  readVisiwiseEnvelope,
} from '../events/visiwise-event.parser';
import type { VisiwiseWebhookConfig } from '../visiwise-webhook.config';

/** What {@link readDeliveryEnvelope} reads: the verified bytes, and the platform's parse of them if any. */
export interface EventSource {
  readonly rawBody: Buffer;
  /** The platform's parse of `rawBody`; undefined to parse the bytes here. */
  readonly parsedBody: object | undefined;
}

/**
 * Reads a verified delivery's envelope: from the platform's parse when there is one (and
 * `reparseRawBody` is off), else from the bytes; when neither gives a usable envelope, from the
 * user's `readEnvelope`, checked like a parsed body. The failure reported is the built-in reader's.
 */
export function readDeliveryEnvelope(
  config: Pick<VisiwiseWebhookConfig, 'http' | 'payload'>,
  source: EventSource,
): EnvelopeParseResult {
  const { maxJsonDepth, reparseRawBody } = config.http;
  const options = { maxDepth: maxJsonDepth };
  const parsed =
    source.parsedBody === undefined || reparseRawBody
      ? parseVisiwiseEnvelope(source.rawBody, options)
      : readVisiwiseEnvelope(source.parsedBody, options);
  const fallback = config.payload.readEnvelope;
  if (parsed.ok || fallback === undefined) {
    return parsed;
  }
  const read = fallback(source.rawBody);
  if (read === undefined) {
    return parsed;
  }
  const fromFallback = readVisiwiseEnvelope(read, options);
  return fromFallback.ok ? fromFallback : parsed;
}

/** Where a delivery arrived: its endpoint's name and tenant. */
export interface DeliveryOrigin {
  readonly endpoint: string;
  readonly tenant: string | undefined;
}

/** The event of a delivery whose envelope was read. */
export function toEvent(
  envelope: Extract<EnvelopeParseResult, { ok: true }>['envelope'],
  delivery: { readonly id: string; readonly timestamp: Date },
  receivedAt: Date,
  origin: DeliveryOrigin,
): AnyVisiwiseEvent {
  return {
    endpoint: asEndpointName(origin.endpoint),
    tenant: origin.tenant,
    id: delivery.id,
    type: envelope.type,
    timestamp: envelope.timestamp ?? delivery.timestamp,
    data: envelope.data,
    receivedAt,
    issues: envelope.issues,
  };
}

/**
 * The key a delivery is deduplicated (and its dead letter kept) under within its endpoint: the
 * `svix-id`, after the tenant on tenant endpoints (tenant ids cannot contain '/').
 */
export function deliveryKey(origin: {
  readonly tenant?: string | undefined;
  readonly id: string;
}): string {
  return origin.tenant === undefined ? origin.id : `${origin.tenant}/${origin.id}`;
}
