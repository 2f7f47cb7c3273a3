import {
  buildShipmentArrivalTimeChanged,
  buildShipmentTracked,
  buildShipmentTrackedBillOfLading,
  buildShipmentTrackedBooking,
  buildShipmentTrackedFailed,
  buildShipmentTrackingFailed,
} from '../testing';
import { toShipmentSummary } from './shipment-summary.mapper';
import type { VisiwiseShipmentSummary } from './shipment-summary.interface';

/** The same payload with every key in snake_case (the REST serialisation of the same model). */
function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      snakeCaseKeys(child),
    ]),
  );
}

describe('toShipmentSummary', () => {
  it('summarises a container in transit', () => {
    expect(toShipmentSummary(buildShipmentTracked().data)).toEqual<VisiwiseShipmentSummary>({
      reference: 'MSCU1234566',
      shipmentId: '184532',
      kind: 'container',
      carrier: { name: 'MSC', key: 'MSC', scac: 'MSCU' },
      ports: {
        receipt: null,
        loading: { name: 'Shanghai', unlocode: 'CNSHA' },
        discharge: { name: 'Rotterdam', unlocode: 'NLRTM' },
        delivery: null,
      },
      arrival: { eta: '2025-10-21T14:00:00Z', arrivedAt: null, hasArrived: false },
      containers: [
        {
          number: 'MSCU1234566',
          arrival: { eta: '2025-10-21T14:00:00Z', arrivedAt: null, hasArrived: false },
          lastMovement: 'Loaded on Vessel',
          vessel: 'MSC TESSA',
        },
      ],
      status: 'succeeded',
      rawStatus: 'Track-Succeeded',
      failureReason: null,
      tags: ['PO-4471', 'customer:acme'],
    });
  });

  it('summarises a bill of lading: containers in their states, arrival = the last ETA', () => {
    const summary = toShipmentSummary(buildShipmentTrackedBillOfLading().data);
    expect(summary.kind).toBe('bill_of_lading');
    expect(summary.reference).toBe('HLCUNB2506183021');
    expect(summary.carrier).toEqual({ name: 'Hapag-Lloyd', key: 'HAPAG-LLOYD', scac: 'HLCU' });
    expect(summary.ports.receipt).toEqual({ name: 'Ningbo', unlocode: 'CNNGB' });
    expect(summary.ports.delivery).toEqual({ name: 'Hamburg', unlocode: 'DEHAM' });
    expect(summary.containers.map((c) => [c.number, c.arrival.hasArrived, c.lastMovement])).toEqual(
      [
        ['HLXU1357904', true, 'Discharge From Vessel'],
        ['HLBU9024688', true, 'Import Gate Out'],
        ['TGHU2468106', false, 'Transshipment Loaded'],
      ],
    );
    expect(summary.containers[2]?.vessel).toBe('ANTWERPEN EXPRESS');
    // Not arrived while one container is still at sea.
    expect(summary.arrival).toEqual({
      eta: '2025-09-30T06:00:00Z',
      arrivedAt: null,
      hasArrived: false,
    });
  });

  it('derives the arrival of a bill of lading once every container arrived (the latest)', () => {
    const summary = toShipmentSummary(
      buildShipmentTrackedBillOfLading({
        blTracking: {
          containers: [
            {
              number: 'HLXU1357904',
              arrivalTime: { value: '2025-09-16T22:10:00Z', isActual: true },
            },
            {
              number: 'TGHU2468106',
              arrivalTime: { value: '2025-09-30T05:40:00Z', isActual: true },
            },
            {
              number: 'HLBU9024688',
              arrivalTime: { value: '2025-09-17T01:00:00Z', isActual: true },
            },
          ],
        },
      }).data,
    );
    expect(summary.arrival).toEqual({
      eta: null,
      arrivedAt: '2025-09-30T05:40:00Z',
      hasArrived: true,
    });
  });

  it('summarises a booking with its own ETA', () => {
    const summary = toShipmentSummary(buildShipmentTrackedBooking().data);
    expect(summary).toMatchObject({
      kind: 'booking',
      reference: '254839157',
      carrier: { name: 'Maersk', key: 'MAERSK', scac: 'MAEU' },
      arrival: { eta: '2025-11-03T08:00:00Z', hasArrived: false },
      ports: { loading: { unlocode: 'SGSIN' }, discharge: { unlocode: 'GBFXT' } },
    });
    expect(summary.containers.map((c) => c.number)).toEqual(['MSKU7036187', 'MRKU2410775']);
  });

  it('summarises a failed lookup with its reason', () => {
    const summary = toShipmentSummary(buildShipmentTrackedFailed().data);
    expect(summary).toMatchObject({
      reference: 'FFAU1122330',
      status: 'failed',
      rawStatus: 'Track-Failed',
      failureReason: 'Container not found on the shipping line website',
      arrival: { eta: null, arrivedAt: null, hasArrived: false },
      ports: { loading: null, discharge: null },
    });
  });

  it('reports an actual arrival as arrived, not as an ETA', () => {
    const summary = toShipmentSummary(
      buildShipmentTracked({ containerTracking: { arrivalTime: { isActual: true } } }).data,
    );
    expect(summary.arrival).toEqual({
      eta: null,
      arrivedAt: '2025-10-21T14:00:00Z',
      hasArrived: true,
    });
  });

  it.each([
    ['container', () => buildShipmentTracked().data],
    ['bill of lading', () => buildShipmentTrackedBillOfLading().data],
    ['booking', () => buildShipmentTrackedBooking().data],
    ['failed lookup', () => buildShipmentTrackedFailed().data],
  ])('gives the same summary for the snake_case payload of a %s', (_name, build) => {
    const camel = build();
    const snake = snakeCaseKeys(camel) as Record<string, unknown>;
    expect(snake).toHaveProperty('tracking_reference');
    expect(toShipmentSummary(snake)).toEqual(toShipmentSummary(camel));
  });

  it('reads REST-style names: tracking_number, tracking_type, carrier SCAC, bare status', () => {
    const summary = toShipmentSummary({
      tracking_number: 'MSCU1234566',
      tracking_type: 'container',
      carrier: 'MSCU',
      track_status: 'track_succeeded',
      port_of_discharge: 'NLRTM',
      tags: ['PO-4471'],
    });
    expect(summary).toMatchObject({
      reference: 'MSCU1234566',
      kind: 'container',
      carrier: { name: null, key: null, scac: 'MSCU' },
      status: 'succeeded',
      rawStatus: 'track_succeeded',
      ports: { discharge: { name: null, unlocode: 'NLRTM' } },
      tags: ['PO-4471'],
      containers: [],
    });
    expect(toShipmentSummary({ tracking_type: 'bill_of_lading', carrier: 'AUTO' })).toMatchObject({
      kind: 'bill_of_lading',
      carrier: null,
    });
  });

  it('summarises the shipment reference of the inferred update events', () => {
    expect(toShipmentSummary(buildShipmentTrackingFailed().data.shipment)).toMatchObject({
      reference: 'FFAU1122330',
      kind: 'container',
      status: 'unknown',
    });
    expect(toShipmentSummary(buildShipmentArrivalTimeChanged().data.shipment)).toMatchObject({
      reference: 'CMAU3049821',
      ports: { loading: { name: 'Busan', unlocode: 'KRPUS' } },
    });
  });

  it.each([
    ['Is-Tracking', 'tracking'],
    ['Track-Queued', 'tracking'],
    ['TRACK SUCCEEDED', 'succeeded'],
    ['track_failed', 'failed'],
    ['Track-Paused', 'unknown'],
  ])('maps the lookup status %s to %s', (status, expected) => {
    expect(toShipmentSummary({ trackStatus: { status } }).status).toBe(expected);
  });

  it('never throws on payloads of the wrong shape', () => {
    const empty: VisiwiseShipmentSummary = {
      reference: null,
      shipmentId: null,
      kind: 'unknown',
      carrier: null,
      ports: { receipt: null, loading: null, discharge: null, delivery: null },
      arrival: { eta: null, arrivedAt: null, hasArrived: false },
      containers: [],
      status: 'unknown',
      rawStatus: null,
      failureReason: null,
      tags: [],
    };
    const odd: unknown[] = [
      {},
      null,
      [],
      'MSCU1234566',
      { containerTracking: 'x', tags: 'a', trackingReference: 5 },
      { blTracking: { containers: [null, 1, 'x'] } },
    ];
    for (const payload of odd) {
      expect(() => toShipmentSummary(payload as Record<string, unknown>)).not.toThrow();
    }
    expect(toShipmentSummary({})).toEqual(empty);
    expect(toShipmentSummary(null as unknown as Record<string, unknown>)).toEqual(empty);
    expect(toShipmentSummary({ blTracking: { containers: [null, 1] } })).toMatchObject({
      kind: 'bill_of_lading',
      containers: [],
    });
  });
});
