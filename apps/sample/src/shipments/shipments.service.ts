import { Injectable, Logger } from '@nestjs/common';
import { OnVisiwiseEvent, VisiwiseEvent } from 'nestjs-visiwise-webhook';

/** What the sample keeps of each tracked shipment. */
export interface TrackedShipment {
  /** The delivery id (svix-id): the same on every retry, so it identifies the event. */
  eventId: string;
  /** The endpoint that received it (`default`, or a name of VISIWISE_ENDPOINTS). */
  endpoint: string;
  trackingReference: string;
  status: string | null;
  carrier: string | null;
  arrival: { at: string; isActual: boolean } | null;
  receivedAt: string;
}

/**
 * The application side of the integration: one decorated method receives every verified
 * `shipment.tracked` event. A real app would update its database here, keyed by `event.id` so that
 * a retried delivery does not apply twice.
 */
@Injectable()
export class ShipmentsService {
  private readonly logger = new Logger(ShipmentsService.name);
  private readonly shipments: TrackedShipment[] = [];

  @OnVisiwiseEvent('shipment.tracked')
  onShipmentTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
    const { data } = event;
    // Typed as a string, but absent or of another type when the event has issues (event.issues).
    const reference: unknown = data.trackingReference;
    const trackingReference = typeof reference === 'string' ? reference : '(unknown)';
    if (event.issues.length > 0) {
      // Signed by Visiwise but not the shape we expect: kept and shown, so nothing is lost; a real
      // app might park it for a person to look at instead.
      this.logger.warn(
        `shipment.tracked ${event.id} has payload issues: ${event.issues.join('; ')}`,
      );
    }
    const tracking = data.containerTracking ?? data.blTracking ?? data.bookingTracking;
    const arrival = tracking?.arrivalTime;
    this.shipments.push({
      eventId: event.id,
      endpoint: event.endpoint,
      trackingReference,
      status: tracking?.trackStatus?.status ?? null,
      carrier: tracking?.shippingLine?.name ?? null,
      arrival:
        typeof arrival?.value === 'string'
          ? { at: arrival.value, isActual: arrival.isActual === true }
          : null,
      receivedAt: event.receivedAt.toISOString(),
    });
    this.logger.log(
      `shipment.tracked ${trackingReference} (event ${event.id}, endpoint ${event.endpoint})`,
    );
  }

  /** Everything this instance has processed, oldest first. */
  list(): readonly TrackedShipment[] {
    return this.shipments;
  }
}
