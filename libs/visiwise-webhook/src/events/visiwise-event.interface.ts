import type { VisiwiseEndpointName } from '../visiwise-webhook-options.interface';
import type { VisiwiseShipment } from './shipment.interface';
import type {
  VisiwiseShipmentArrivalTimeChanged,
  VisiwiseShipmentContainerMovement,
  VisiwiseShipmentTrackingFailed,
} from './shipment-update-events.interface';

/**
 * Event type -> payload (`data`) type. Augment it with declaration merging to type events this
 * package does not know yet:
 *
 * ```ts
 * declare module 'nestjs-visiwise-webhook' {
 *   interface VisiwiseEventMap { 'shipment.arrived': { trackingReference: string } }
 * }
 * ```
 */
export interface VisiwiseEventMap {
  /** Tracking of a shipment finished (successfully or not). The one event name known for sure. */
  'shipment.tracked': VisiwiseShipment;
  /**
   * INFERRED (not published by Visiwise): tracking of a shipment gave up. A failed lookup may
   * instead only arrive as `shipment.tracked` with `trackStatus.status` `Track-Failed`.
   */
  'shipment.tracking_failed': VisiwiseShipmentTrackingFailed;
  /** INFERRED (not published by Visiwise): the ETA or actual arrival of a shipment or container changed. */
  'shipment.arrival_time_changed': VisiwiseShipmentArrivalTimeChanged;
  /** INFERRED (not published by Visiwise): a container of a shipment moved (a new milestone). */
  'shipment.container_movement': VisiwiseShipmentContainerMovement;
}

/**
 * The event types this package itself types and checks (users may add more to the map). Only
 * `shipment.tracked` is a known Visiwise event; the others are inferred (see docs/EVENTS.md).
 */
export type BuiltInVisiwiseEventType =
  | 'shipment.tracked'
  | 'shipment.tracking_failed'
  | 'shipment.arrival_time_changed'
  | 'shipment.container_movement';

/** A known (typed) event type: a key of {@link VisiwiseEventMap}. */
export type VisiwiseEventType = Extract<keyof VisiwiseEventMap, string>;

/** Payload type of an event type: the mapped type if known, otherwise an open JSON object. */
export type VisiwiseEventData<K extends string> = K extends VisiwiseEventType
  ? VisiwiseEventMap[K]
  : Readonly<Record<string, unknown>>;

/**
 * One verified Visiwise event, as handlers receive it.
 * `K` is the event type; for a known type, `data` is typed from {@link VisiwiseEventMap}.
 */
export interface VisiwiseEvent<K extends string = VisiwiseEventType> {
  /** The delivery id (`svix-id`): the same on every retry of this event, so use it for idempotency. */
  readonly id: string;
  /** The event type, e.g. `shipment.tracked`. */
  readonly type: K;
  /**
   * When the event happened: the envelope's `timestamp` if it is a valid date, otherwise the signed
   * `svix-timestamp` of the delivery.
   */
  readonly timestamp: Date;
  /** The event payload, with unknown fields kept. */
  readonly data: VisiwiseEventData<K>;
  /** When this process received the delivery. */
  readonly receivedAt: Date;
  /**
   * What the checks of this event's type found wrong with `data`, one message a problem (e.g.
   * `"trackingReference" must be a non-empty string`); empty when clean. Visiwise does not publish
   * its payload schema, so a signed delivery whose `data` does not match the expected shape is
   * still handed to its handlers, never refused: while this is not empty, the fields it names may
   * be missing or of another type than `data`'s type says. Decide in the handler whether to use,
   * park or skip such an event (`payloadValidation: 'strict'` refuses them with a 400 instead).
   */
  readonly issues: readonly string[];
  /**
   * The name of the endpoint that received the event: `default` for the module's single endpoint,
   * else the key of `endpoints` (see `@OnVisiwiseEvent(type, { endpoint })`).
   */
  readonly endpoint: VisiwiseEndpointName;
  /** The tenant of a tenant endpoint's route (`tenants` option); undefined on other endpoints. */
  readonly tenant: string | undefined;
}

/** Distributes over a union of types: `VisiwiseEventOf<'a' | 'b'>` = `VisiwiseEvent<'a'> | VisiwiseEvent<'b'>`. */
export type VisiwiseEventOf<K extends string> = K extends string ? VisiwiseEvent<K> : never;

/**
 * Any event, as a wildcard (`'*'`) handler receives it: one of the known events, or an event of a
 * type this package does not know (forwarded, never rejected). Narrow with {@link isVisiwiseEvent}.
 */
export type AnyVisiwiseEvent = VisiwiseEventOf<VisiwiseEventType> | VisiwiseEvent<string>;

/** Narrows an event to a known type: `if (isVisiwiseEvent(e, 'shipment.tracked')) e.data.trackingReference`. */
export function isVisiwiseEvent<K extends VisiwiseEventType>(
  event: AnyVisiwiseEvent,
  type: K,
): event is VisiwiseEvent<K> {
  return event.type === type;
}
