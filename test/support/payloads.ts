import { buildShipmentTracked } from 'nestjs-visiwise-webhook/testing';

/**
 * A realistic shipment.tracked envelope (container tracking in transit): the package's own
 * fixture, with the tracking reference swapped, as a mutable JSON object the tests can adjust.
 */
export function shipmentTracked(trackingReference = 'MSCU1234566'): {
  type: 'shipment.tracked';
  timestamp: string;
  data: Record<string, unknown>;
} {
  const envelope = buildShipmentTracked({
    trackingReference,
    containerTracking: { number: trackingReference },
  });
  return JSON.parse(JSON.stringify(envelope)) as ReturnType<typeof shipmentTracked>;
}
