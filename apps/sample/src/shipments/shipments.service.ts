import { Injectable, Logger } from '@nestjs/common';
import { OnVisiwiseEvent, VisiwiseEvent } from 'nestjs-visiwise-webhook';

/** What the sample keeps of each tracked shipment. */
export interface TrackedShipment {
  /** The delivery id (svix-id): the same on every retry, so it identifies the event. */
  eventId: string;
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
    const tracking = data.containerTracking ?? data.blTracking ?? data.bookingTracking;
    const arrival = tracking?.arrivalTime;
    this.shipments.push({
      eventId: event.id,
      trackingReference: data.trackingReference,
      status: tracking?.trackStatus?.status ?? null,
      carrier: tracking?.shippingLine?.name ?? null,
      arrival:
        typeof arrival?.value === 'string'
          ? { at: arrival.value, isActual: arrival.isActual === true }
          : null,
      receivedAt: event.receivedAt.toISOString(),
    });
    this.logger.log(`shipment.tracked ${data.trackingReference} (event ${event.id})`);
  }

  /** Everything this instance has processed, oldest first. */
  list(): readonly TrackedShipment[] {
    return this.shipments;
  }
}
