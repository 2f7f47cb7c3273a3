/*
 * Realistic `shipment.tracked` payloads for tests. The data is valid: container numbers carry
 * correct ISO 6346 check digits, places carry real UN/LOCODEs, times are ISO-8601 in UTC, vessels
 * are real ships. The field names follow Visiwise's GraphQL `Shipment` (the webhook payload itself
 * is not published: docs/EVENTS.md); the values are illustrative.
 */
import type { VisiwiseShipment } from '../events/shipment.interface';
import { applyFixtureOverrides, VisiwiseFixtureOverrides } from './fixture-overrides';
import {
  fixtureTimestamp,
  VisiwiseEventEnvelope,
  VisiwiseFixtureOptions,
} from './visiwise-event-envelope';

function shipmentTracked(
  base: VisiwiseShipment,
  overrides: VisiwiseFixtureOverrides<VisiwiseShipment> | undefined,
  options: VisiwiseFixtureOptions,
  defaultTimestamp: string,
): VisiwiseEventEnvelope<'shipment.tracked'> {
  return {
    type: 'shipment.tracked',
    timestamp: fixtureTimestamp(options, defaultTimestamp),
    data: applyFixtureOverrides<VisiwiseShipment>(base, overrides),
  };
}

/**
 * `shipment.tracked` for a container tracked by its number, in transit: MSC container
 * `MSCU1234566` loaded at Shanghai (CNSHA) on the MSC TESSA, ETA Rotterdam (NLRTM)
 * 2025-10-21T14:00:00Z (`arrivalTime.isActual: false`). Overrides are deep-merged into `data`.
 *
 * ```ts
 * const event = buildShipmentTracked({ containerTracking: { lastMovementEventDescription: 'Discharge From Vessel' } });
 * ```
 */
export function buildShipmentTracked(
  overrides?: VisiwiseFixtureOverrides<VisiwiseShipment>,
  options: VisiwiseFixtureOptions = {},
): VisiwiseEventEnvelope<'shipment.tracked'> {
  return shipmentTracked(
    {
      id: '184532',
      trackingReference: 'MSCU1234566',
      containerTracking: {
        id: '902211',
        number: 'MSCU1234566',
        trackStatus: { status: 'Track-Succeeded', exception: null },
        shippingLine: { name: 'MSC', keyname: 'MSC', scac: 'MSCU' },
        arrivalTime: { value: '2025-10-21T14:00:00Z', isActual: false },
        lastMovementEventDescription: 'Loaded on Vessel',
        portOfLoading: { unlocodeName: 'Shanghai', unlocode: 'CNSHA' },
        portOfDischarge: { unlocodeName: 'Rotterdam', unlocode: 'NLRTM' },
        currentVessel: {
          name: 'MSC TESSA',
          position: {
            latitude: 5.8123,
            longitude: 95.3301,
            actualSnapTime: '2025-09-18T06:55:00Z',
          },
        },
      },
      blTracking: null,
      bookingTracking: null,
      tags: [{ name: 'PO-4471' }, { name: 'customer:acme' }],
    },
    overrides,
    options,
    '2025-09-18T07:42:13.512Z',
  );
}

/**
 * `shipment.tracked` for a Hapag-Lloyd bill of lading `HLCUNB2506183021`, Ningbo (CNNGB) to
 * Hamburg (DEHAM), with three containers in different states: `HLXU1357904` discharged and
 * `HLBU9024688` gated out (both arrived 2025-09-16T22:10:00Z), `TGHU2468106` still at sea after
 * transshipment in Singapore, ETA 2025-09-30T06:00:00Z. Overrides are deep-merged into `data`
 * (an overridden `containers` array replaces the three).
 */
export function buildShipmentTrackedBillOfLading(
  overrides?: VisiwiseFixtureOverrides<VisiwiseShipment>,
  options: VisiwiseFixtureOptions = {},
): VisiwiseEventEnvelope<'shipment.tracked'> {
  return shipmentTracked(
    {
      id: '184790',
      trackingReference: 'HLCUNB2506183021',
      containerTracking: null,
      blTracking: {
        id: '55103',
        number: 'HLCUNB2506183021',
        trackStatus: { status: 'Track-Succeeded', exception: null },
        shippingLine: { name: 'Hapag-Lloyd', keyname: 'HAPAG-LLOYD', scac: 'HLCU' },
        placeOfReceipt: { unlocodeName: 'Ningbo', unlocode: 'CNNGB' },
        portOfLoading: { unlocodeName: 'Ningbo', unlocode: 'CNNGB' },
        portOfDischarge: { unlocodeName: 'Hamburg', unlocode: 'DEHAM' },
        placeOfDelivery: { unlocodeName: 'Hamburg', unlocode: 'DEHAM' },
        containers: [
          {
            id: '903001',
            number: 'HLXU1357904',
            trackStatus: { status: 'Track-Succeeded' },
            arrivalTime: { value: '2025-09-16T22:10:00Z', isActual: true },
            lastMovementEventDescription: 'Discharge From Vessel',
            currentVessel: null,
          },
          {
            id: '903002',
            number: 'HLBU9024688',
            trackStatus: { status: 'Track-Succeeded' },
            arrivalTime: { value: '2025-09-16T22:10:00Z', isActual: true },
            lastMovementEventDescription: 'Import Gate Out',
            currentVessel: null,
          },
          {
            id: '903003',
            number: 'TGHU2468106',
            trackStatus: { status: 'Track-Succeeded' },
            arrivalTime: { value: '2025-09-30T06:00:00Z', isActual: false },
            lastMovementEventDescription: 'Transshipment Loaded',
            currentVessel: {
              name: 'ANTWERPEN EXPRESS',
              position: {
                latitude: 1.2044,
                longitude: 103.7398,
                actualSnapTime: '2025-09-18T07:30:00Z',
              },
            },
          },
        ],
      },
      bookingTracking: null,
      tags: [],
    },
    overrides,
    options,
    '2025-09-18T08:03:55.027Z',
  );
}

/**
 * `shipment.tracked` for a Maersk booking `254839157`, Singapore (SGSIN) to Felixstowe (GBFXT),
 * ETA 2025-11-03T08:00:00Z, with two containers: `MSKU7036187` gated in at the terminal and
 * `MRKU2410775` loaded on the MAERSK HANGZHOU. Overrides are deep-merged into `data`.
 */
export function buildShipmentTrackedBooking(
  overrides?: VisiwiseFixtureOverrides<VisiwiseShipment>,
  options: VisiwiseFixtureOptions = {},
): VisiwiseEventEnvelope<'shipment.tracked'> {
  return shipmentTracked(
    {
      id: '185107',
      trackingReference: '254839157',
      containerTracking: null,
      blTracking: null,
      bookingTracking: {
        id: '71240',
        number: '254839157',
        trackStatus: { status: 'Track-Succeeded', exception: null },
        shippingLine: { name: 'Maersk', keyname: 'MAERSK', scac: 'MAEU' },
        arrivalTime: { value: '2025-11-03T08:00:00Z', isActual: false },
        portOfLoading: { unlocodeName: 'Singapore', unlocode: 'SGSIN' },
        portOfDischarge: { unlocodeName: 'Felixstowe', unlocode: 'GBFXT' },
        containers: [
          {
            id: '904410',
            number: 'MSKU7036187',
            trackStatus: { status: 'Track-Succeeded' },
            arrivalTime: { value: '2025-11-03T08:00:00Z', isActual: false },
            lastMovementEventDescription: 'Gate In Full',
            currentVessel: null,
          },
          {
            id: '904411',
            number: 'MRKU2410775',
            trackStatus: { status: 'Track-Succeeded' },
            arrivalTime: { value: '2025-11-03T08:00:00Z', isActual: false },
            lastMovementEventDescription: 'Loaded on Vessel',
            currentVessel: { name: 'MAERSK HANGZHOU' },
          },
        ],
      },
      tags: [{ name: 'PO-4519' }],
    },
    overrides,
    options,
    '2025-09-19T10:15:40.211Z',
  );
}

/**
 * `shipment.tracked` after a failed lookup: container `FFAU1122330` on MSC,
 * `trackStatus: { status: 'Track-Failed', exception: 'Container not found on the shipping line website' }`,
 * no arrival, ports or vessel. Overrides are deep-merged into `data`.
 */
export function buildShipmentTrackedFailed(
  overrides?: VisiwiseFixtureOverrides<VisiwiseShipment>,
  options: VisiwiseFixtureOptions = {},
): VisiwiseEventEnvelope<'shipment.tracked'> {
  return shipmentTracked(
    {
      id: '184811',
      trackingReference: 'FFAU1122330',
      containerTracking: {
        id: '903120',
        number: 'FFAU1122330',
        trackStatus: {
          status: 'Track-Failed',
          exception: 'Container not found on the shipping line website',
        },
        shippingLine: { name: 'MSC', keyname: 'MSC', scac: 'MSCU' },
        arrivalTime: null,
        lastMovementEventDescription: null,
        portOfLoading: null,
        portOfDischarge: null,
        currentVessel: null,
      },
      blTracking: null,
      bookingTracking: null,
      tags: [{ name: 'PO-4502' }],
    },
    overrides,
    options,
    '2025-09-18T08:11:02.340Z',
  );
}
