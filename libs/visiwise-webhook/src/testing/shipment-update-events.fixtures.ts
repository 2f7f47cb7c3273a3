/*
 * Payloads of the INFERRED event types (docs/EVENTS.md): Visiwise has not published them, so these
 * fixtures show the shape this package types, with valid data (ISO 6346 check digits, real
 * UN/LOCODEs, ISO-8601 times, IMO numbers with valid check digits).
 */
import type {
  VisiwiseShipmentArrivalTimeChanged,
  VisiwiseShipmentContainerMovement,
  VisiwiseShipmentTrackingFailed,
} from '../events/shipment-update-events.interface';
import { applyFixtureOverrides, VisiwiseFixtureOverrides } from './fixture-overrides';
import {
  fixtureTimestamp,
  VisiwiseEventEnvelope,
  VisiwiseFixtureOptions,
} from './visiwise-event-envelope';

/**
 * `shipment.tracking_failed` (inferred): Visiwise gave up tracking container `FFAU1122330`
 * ("Container not found on the shipping line website"). Overrides are deep-merged into `data`.
 */
export function buildShipmentTrackingFailed(
  overrides?: VisiwiseFixtureOverrides<VisiwiseShipmentTrackingFailed>,
  options: VisiwiseFixtureOptions = {},
): VisiwiseEventEnvelope<'shipment.tracking_failed'> {
  return {
    type: 'shipment.tracking_failed',
    timestamp: fixtureTimestamp(options, '2025-09-18T08:11:02.355Z'),
    data: applyFixtureOverrides<VisiwiseShipmentTrackingFailed>(
      {
        shipment: {
          id: '184811',
          trackingReference: 'FFAU1122330',
          trackingType: 'ContainerTracking',
        },
        trackStatus: {
          status: 'Track-Failed',
          exception: 'Container not found on the shipping line website',
        },
      },
      overrides,
    ),
  };
}

/**
 * `shipment.arrival_time_changed` (inferred): the ETA of CMA CGM container `CMAU3049821`, Busan
 * (KRPUS) to Los Angeles (USLAX), moved from 2025-10-02T06:00:00Z to 2025-10-04T18:00:00Z.
 * Overrides are deep-merged into `data`; set `current.isActual: true` for an actual arrival.
 */
export function buildShipmentArrivalTimeChanged(
  overrides?: VisiwiseFixtureOverrides<VisiwiseShipmentArrivalTimeChanged>,
  options: VisiwiseFixtureOptions = {},
): VisiwiseEventEnvelope<'shipment.arrival_time_changed'> {
  return {
    type: 'shipment.arrival_time_changed',
    timestamp: fixtureTimestamp(options, '2025-09-24T13:20:05.918Z'),
    data: applyFixtureOverrides<VisiwiseShipmentArrivalTimeChanged>(
      {
        shipment: {
          id: '185020',
          trackingReference: 'CMAU3049821',
          trackingType: 'ContainerTracking',
          portOfLoading: { unlocodeName: 'Busan', unlocode: 'KRPUS' },
          portOfDischarge: { unlocodeName: 'Los Angeles', unlocode: 'USLAX' },
        },
        container: { id: '903410', number: 'CMAU3049821' },
        previous: { value: '2025-10-02T06:00:00Z', isActual: false },
        current: { value: '2025-10-04T18:00:00Z', isActual: false },
      },
      overrides,
    ),
  };
}

/**
 * `shipment.container_movement` (inferred): container `MSCU1234566` departed Singapore (SGSIN) on
 * the MSC TESSA (IMO 9946594), voyage FE538W, at 2025-09-19T03:15:00Z (`code: 'DEPA'`).
 * Overrides are deep-merged into `data`.
 */
export function buildShipmentContainerMovement(
  overrides?: VisiwiseFixtureOverrides<VisiwiseShipmentContainerMovement>,
  options: VisiwiseFixtureOptions = {},
): VisiwiseEventEnvelope<'shipment.container_movement'> {
  return {
    type: 'shipment.container_movement',
    timestamp: fixtureTimestamp(options, '2025-09-19T03:21:47.604Z'),
    data: applyFixtureOverrides<VisiwiseShipmentContainerMovement>(
      {
        shipment: {
          id: '184532',
          trackingReference: 'MSCU1234566',
          trackingType: 'ContainerTracking',
        },
        container: { id: '902211', number: 'MSCU1234566' },
        event: {
          description: 'Vessel Departure',
          code: 'DEPA',
          occurredAt: '2025-09-19T03:15:00Z',
          isActual: true,
          location: { unlocodeName: 'Singapore', unlocode: 'SGSIN' },
          vessel: { name: 'MSC TESSA', imo: '9946594' },
          voyage: 'FE538W',
        },
      },
      overrides,
    ),
  };
}
