import {
  buildShipmentArrivalTimeChanged,
  buildShipmentContainerMovement,
  buildShipmentTracked,
  buildShipmentTrackingFailed,
} from '../testing';
import { invalidPayloadMessage, payloadFieldProblem } from './events.messages';
import { isBuiltInEventType, parseVisiwiseEnvelope } from './visiwise-event.parser';

const parse = (body: unknown) => parseVisiwiseEnvelope(Buffer.from(JSON.stringify(body)));

const invalid = (type: string, field: string, expected: string) => ({
  ok: false,
  problem: 'invalid_payload',
  message: invalidPayloadMessage(type, payloadFieldProblem(field, expected)),
});

describe('parseVisiwiseEnvelope: payload checks of the built-in types', () => {
  it('knows the known and the inferred event types, and nothing else', () => {
    expect(
      [
        'shipment.tracked',
        'shipment.tracking_failed',
        'shipment.arrival_time_changed',
        'shipment.container_movement',
      ].every(isBuiltInEventType),
    ).toBe(true);
    expect(isBuiltInEventType('shipment.created')).toBe(false);
    expect(isBuiltInEventType('toString')).toBe(false);
  });

  it.each([
    ['shipment.tracked', { trackingReference: 'MSCU1234566' }],
    ['shipment.tracking_failed', { shipment: { trackingReference: 'FFAU1122330' } }],
    [
      'shipment.arrival_time_changed',
      { shipment: { trackingReference: 'CMAU3049821' }, current: {} },
    ],
    [
      'shipment.container_movement',
      {
        shipment: { trackingReference: 'MSCU1234566' },
        container: { number: 'MSCU1234566' },
        event: {},
      },
    ],
  ])('accepts a minimal %s (only what a handler cannot do without)', (type, data) => {
    expect(parse({ type, data })).toEqual({
      ok: true,
      envelope: { type, data, timestamp: undefined },
    });
  });

  it('keeps unknown fields of the inferred events', () => {
    const envelope = buildShipmentArrivalTimeChanged({ current: { confidence: 'high' } });
    const parsed = parse({ ...envelope, data: { ...envelope.data, source: 'ais' } });
    expect(parsed.ok && parsed.envelope.data).toMatchObject({
      source: 'ais',
      current: { confidence: 'high', isActual: false },
    });
  });

  it('refuses shipment.tracked without a non-empty trackingReference', () => {
    const { data } = buildShipmentTracked();
    expect(parse({ type: 'shipment.tracked', data: { ...data, trackingReference: '' } })).toEqual(
      invalid('shipment.tracked', 'trackingReference', 'a non-empty string'),
    );
    // A snake_case payload is refused (the typed field would be missing) with the field named.
    expect(
      parse({ type: 'shipment.tracked', data: { tracking_reference: 'MSCU1234566' } }),
    ).toEqual(invalid('shipment.tracked', 'trackingReference', 'a non-empty string'));
  });

  it('refuses shipment.tracking_failed without shipment.trackingReference', () => {
    expect(parse({ type: 'shipment.tracking_failed', data: { trackStatus: {} } })).toEqual(
      invalid('shipment.tracking_failed', 'shipment.trackingReference', 'a non-empty string'),
    );
    expect(parse({ type: 'shipment.tracking_failed', data: { shipment: 'FFAU1122330' } })).toEqual(
      invalid('shipment.tracking_failed', 'shipment.trackingReference', 'a non-empty string'),
    );
    expect(parse(buildShipmentTrackingFailed()).ok).toBe(true);
  });

  it('refuses shipment.arrival_time_changed without a current arrival object', () => {
    const { data } = buildShipmentArrivalTimeChanged();
    expect(
      parse({ type: 'shipment.arrival_time_changed', data: { ...data, current: null } }),
    ).toEqual(invalid('shipment.arrival_time_changed', 'current', 'an object'));
    expect(
      parse({ type: 'shipment.arrival_time_changed', data: { ...data, shipment: {} } }),
    ).toEqual(
      invalid('shipment.arrival_time_changed', 'shipment.trackingReference', 'a non-empty string'),
    );
  });

  it('refuses shipment.container_movement without the container number or the movement', () => {
    const { data } = buildShipmentContainerMovement();
    const type = 'shipment.container_movement';
    expect(parse({ type, data: { ...data, container: { id: '1' } } })).toEqual(
      invalid(type, 'container.number', 'a non-empty string'),
    );
    expect(parse({ type, data: { ...data, event: [] } })).toEqual(
      invalid(type, 'event', 'an object'),
    );
    expect(parse({ type, data: { ...data, shipment: undefined } })).toEqual(
      invalid(type, 'shipment.trackingReference', 'a non-empty string'),
    );
  });

  it('does not check types it does not know', () => {
    expect(parse({ type: 'shipment.created', data: {} }).ok).toBe(true);
  });
});
