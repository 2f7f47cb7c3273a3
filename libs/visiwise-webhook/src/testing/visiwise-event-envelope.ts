import type { VisiwiseEndpointName } from '../visiwise-webhook-options.interface';
import { DEFAULT_ENDPOINT_NAME, asEndpointName } from '../endpoints/endpoint-config';
import { randomBytes } from 'node:crypto';
import type {
  VisiwiseEvent,
  VisiwiseEventMap,
  VisiwiseEventType,
} from '../events/visiwise-event.interface';

/**
 * A Visiwise event as it travels in the body of a delivery: `{ type, timestamp, data }` (the
 * Standard Webhooks envelope Visiwise is assumed to use). The fixture builders return this; post it
 * with {@link deliverVisiwiseEvent}, or turn it into a handler argument with {@link toVisiwiseEvent}.
 */
export interface VisiwiseEventEnvelope<K extends VisiwiseEventType = VisiwiseEventType> {
  readonly type: K;
  /** ISO-8601 time of the event. */
  readonly timestamp: string;
  readonly data: VisiwiseEventMap[K];
}

/** Options of the fixture builders. */
export interface VisiwiseFixtureOptions {
  /** The envelope's event time. @default the fixture's own fixed time, so tests are deterministic */
  timestamp?: Date | string;
}

/** Options of {@link toVisiwiseEvent}. */
export interface ToVisiwiseEventOptions {
  /** The delivery id (`svix-id`). @default a random `msg_...` id */
  id?: string;
  /** When the event was received. @default now */
  receivedAt?: Date;
  /** The payload issues the event carries, to test a handler's handling of them. @default [] */
  issues?: readonly string[];
  /** The endpoint that received it. @default 'default' */
  endpoint?: VisiwiseEndpointName;
  /** The tenant of a tenant endpoint. @default undefined */
  tenant?: string;
}

/**
 * Turns an envelope (e.g. from `buildShipmentTracked()`) into the `VisiwiseEvent` a handler
 * receives, the way the module does for a verified delivery: for unit tests that call a handler
 * method directly, without HTTP.
 *
 * ```ts
 * await service.onTracked(toVisiwiseEvent(buildShipmentTracked(), { id: 'msg_1' }));
 * ```
 */
export function toVisiwiseEvent<K extends VisiwiseEventType>(
  envelope: VisiwiseEventEnvelope<K>,
  options: ToVisiwiseEventOptions = {},
): VisiwiseEvent<K> {
  return {
    id: options.id ?? `msg_${randomBytes(16).toString('hex')}`,
    type: envelope.type,
    timestamp: new Date(envelope.timestamp),
    data: envelope.data as VisiwiseEvent<K>['data'],
    receivedAt: options.receivedAt ?? new Date(),
    issues: options.issues ?? [],
    endpoint: options.endpoint ?? asEndpointName(DEFAULT_ENDPOINT_NAME),
    tenant: options.tenant,
  };
}

/** The envelope time of a fixture: the override as ISO-8601, or the fixture's default. */
export function fixtureTimestamp(options: VisiwiseFixtureOptions, fallback: string): string {
  const { timestamp } = options;
  if (timestamp === undefined) {
    return fallback;
  }
  return timestamp instanceof Date ? timestamp.toISOString() : timestamp;
}
