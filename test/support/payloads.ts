/** A realistic shipment.tracked envelope (container tracking in transit). */
export function shipmentTracked(trackingReference = 'MSCU1234566'): {
  type: 'shipment.tracked';
  timestamp: string;
  data: Record<string, unknown>;
} {
  return {
    type: 'shipment.tracked',
    timestamp: '2025-09-18T07:42:13.512Z',
    data: {
      id: '184532',
      trackingReference,
      containerTracking: {
        id: '902211',
        number: trackingReference,
        trackStatus: { status: 'Track-Succeeded', exception: null },
        shippingLine: { name: 'MSC', keyname: 'MSC' },
        arrivalTime: { value: '2025-10-21T14:00:00Z', isActual: false },
        lastMovementEventDescription: 'Loaded on Vessel',
        portOfLoading: { unlocodeName: 'Shanghai' },
        portOfDischarge: { unlocodeName: 'Rotterdam' },
      },
      blTracking: null,
      bookingTracking: null,
      tags: [{ name: 'PO-4471' }],
    },
  };
}
