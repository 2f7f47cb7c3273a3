/*
 * Compile-time tests of the developer kit's types, checked by `npm run typecheck` (tsc): each
 * `@ts-expect-error` must flag a real type error, or tsc fails on the unused directive.
 */
import { Injectable } from '@nestjs/common';
import {
  OnVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseShipmentSummary,
  toShipmentSummary,
} from 'nestjs-visiwise-webhook';
import {
  VisiwiseEventEnvelope,
  buildShipmentArrivalTimeChanged,
  buildShipmentContainerMovement,
  buildShipmentTracked,
  buildShipmentTrackingFailed,
  toVisiwiseEvent,
} from 'nestjs-visiwise-webhook/testing';

@Injectable()
export class InferredEventHandlers {
  @OnVisiwiseEvent('shipment.container_movement')
  onMovement(event: VisiwiseEvent<'shipment.container_movement'>): string {
    return `${event.data.container.number} ${event.data.event.code ?? ''}`;
  }

  @OnVisiwiseEvent('shipment.arrival_time_changed')
  onEta(event: VisiwiseEvent<'shipment.arrival_time_changed'>): string | null | undefined {
    return event.data.current.value;
  }

  @OnVisiwiseEvent('shipment.tracking_failed')
  onFailed(event: VisiwiseEvent<'shipment.tracking_failed'>): string {
    return event.data.shipment.trackingReference;
  }

  // @ts-expect-error an inferred event's handler cannot take another event's type
  @OnVisiwiseEvent('shipment.container_movement')
  onWrong(event: VisiwiseEvent<'shipment.tracking_failed'>): string {
    return event.id;
  }
}

export function fixturesAreTyped(handlers: InferredEventHandlers): unknown[] {
  const tracked: VisiwiseEventEnvelope<'shipment.tracked'> = buildShipmentTracked({
    containerTracking: { trackStatus: { status: 'Track-Failed', exception: 'not found' } },
    tags: [{ name: 'PO-1' }],
  });
  const summary: VisiwiseShipmentSummary = toShipmentSummary(tracked.data);
  return [
    summary.arrival.eta,
    handlers.onMovement(toVisiwiseEvent(buildShipmentContainerMovement())),
    handlers.onEta(toVisiwiseEvent(buildShipmentArrivalTimeChanged())),
    handlers.onFailed(toVisiwiseEvent(buildShipmentTrackingFailed())),
    // @ts-expect-error a fixture of one event type is not an event of another
    handlers.onFailed(toVisiwiseEvent(buildShipmentContainerMovement())),
    // @ts-expect-error overrides keep the field types (trackingReference is a string)
    buildShipmentTracked({ trackingReference: 42 }),
    // @ts-expect-error overrides keep nested field types too
    buildShipmentTracked({ containerTracking: { arrivalTime: { isActual: 'yes' } } }),
  ];
}
