import { Test } from '@nestjs/testing';
import {
  buildShipmentTracked,
  buildShipmentTrackedBillOfLading,
  buildShipmentTrackedFailed,
  toVisiwiseEvent,
} from 'nestjs-visiwise-webhook/testing';
import { ShipmentsService } from './shipments.service';

// Unit tests of a handler with the package's fixtures: no HTTP, no signatures, just the method
// (docs/INTEGRATING.md). The e2e test of the whole app is test/sample-app.e2e-spec.ts.
describe('ShipmentsService (unit, with nestjs-visiwise-webhook/testing fixtures)', () => {
  let service: ShipmentsService;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ providers: [ShipmentsService] }).compile();
    moduleRef.useLogger(false);
    service = moduleRef.get(ShipmentsService);
  });

  it('records a container in transit with its ETA', () => {
    const receivedAt = new Date('2025-09-18T07:42:14.000Z');
    service.onShipmentTracked(toVisiwiseEvent(buildShipmentTracked(), { id: 'msg_1', receivedAt }));
    expect(service.list()).toEqual([
      {
        eventId: 'msg_1',
        endpoint: 'default',
        trackingReference: 'MSCU1234566',
        status: 'Track-Succeeded',
        carrier: 'MSC',
        arrival: { at: '2025-10-21T14:00:00Z', isActual: false },
        receivedAt: '2025-09-18T07:42:14.000Z',
      },
    ]);
  });

  it('records a bill of lading by its reference and carrier', () => {
    service.onShipmentTracked(toVisiwiseEvent(buildShipmentTrackedBillOfLading()));
    expect(service.list()[0]).toMatchObject({
      trackingReference: 'HLCUNB2506183021',
      carrier: 'Hapag-Lloyd',
      arrival: null,
    });
  });

  it('records a failed lookup without an arrival', () => {
    service.onShipmentTracked(
      toVisiwiseEvent(buildShipmentTrackedFailed({ trackingReference: 'TGHU2468106' })),
    );
    expect(service.list()[0]).toMatchObject({
      trackingReference: 'TGHU2468106',
      status: 'Track-Failed',
      arrival: null,
    });
  });
});
