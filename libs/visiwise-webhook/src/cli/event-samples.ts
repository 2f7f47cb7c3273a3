import type { BuiltInVisiwiseEventType } from '../events/visiwise-event.interface';
import {
  buildShipmentTracked,
  buildShipmentTrackedBillOfLading,
  buildShipmentTrackedBooking,
  buildShipmentTrackedFailed,
} from '../testing/shipment-tracked.fixtures';
import {
  buildShipmentArrivalTimeChanged,
  buildShipmentContainerMovement,
  buildShipmentTrackingFailed,
} from '../testing/shipment-update-events.fixtures';
import type { VisiwiseFixtureOptions } from '../testing/visiwise-event-envelope';

type SampleBuilder = (options: VisiwiseFixtureOptions) => { readonly data: object };

/**
 * The realistic samples `send` can post, per event type; the first of each type is the default.
 * Keyed by every built-in type, so a new event type without a sample fails to compile.
 */
export const EVENT_SAMPLES: {
  readonly [K in BuiltInVisiwiseEventType]: Readonly<Record<string, SampleBuilder>>;
} = {
  'shipment.tracked': {
    container: (options) => buildShipmentTracked({}, options),
    'bill-of-lading': (options) => buildShipmentTrackedBillOfLading({}, options),
    booking: (options) => buildShipmentTrackedBooking({}, options),
    failed: (options) => buildShipmentTrackedFailed({}, options),
  },
  'shipment.tracking_failed': {
    container: (options) => buildShipmentTrackingFailed({}, options),
  },
  'shipment.arrival_time_changed': {
    eta: (options) => buildShipmentArrivalTimeChanged({}, options),
  },
  'shipment.container_movement': {
    departure: (options) => buildShipmentContainerMovement({}, options),
  },
};

/** The samples of an event type, or undefined when there is none. */
export function samplesOf(type: string): Readonly<Record<string, SampleBuilder>> | undefined {
  return Object.prototype.hasOwnProperty.call(EVENT_SAMPLES, type)
    ? EVENT_SAMPLES[type as BuiltInVisiwiseEventType]
    : undefined;
}
