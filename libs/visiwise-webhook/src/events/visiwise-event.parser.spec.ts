import {
  buildShipmentArrivalTimeChanged,
  buildShipmentContainerMovement,
  buildShipmentTracked,
  buildShipmentTrackingFailed,
} from '../testing';
import {
  invalidEnvelopeMessage,
  invalidJsonMessage,
  jsonTooDeepMessage,
  payloadFieldProblem,
} from './events.messages';
import {
  EnvelopeParseResult,
  isBuiltInEventType,
  parseVisiwiseEnvelope,
  readVisiwiseEnvelope,
} from './visiwise-event.parser';

type Reader = (json: string, maxDepth?: number) => EnvelopeParseResult;

/** The two ways in: the verified bytes, or the platform's JSON.parse of them. */
const READERS: [string, Reader][] = [
  [
    'parseVisiwiseEnvelope (bytes)',
    (json, maxDepth = 32) => parseVisiwiseEnvelope(Buffer.from(json), { maxDepth }),
  ],
  [
    'readVisiwiseEnvelope (parsed value)',
    (json, maxDepth = 32) => readVisiwiseEnvelope(JSON.parse(json) as unknown, { maxDepth }),
  ],
];

describe.each(READERS)('%s: hostile or malformed bodies', (_name, read) => {
  it('refuses nesting deeper than maxDepth, and accepts it at the limit', () => {
    const body = (depth: number) =>
      JSON.stringify({
        type: 'x.y',
        data: { deep: JSON.parse('['.repeat(depth) + ']'.repeat(depth)) },
      });
    // envelope (1) > data (2) > arrays
    expect(read(body(30), 32).ok).toBe(true);
    expect(read(body(31), 32)).toEqual({
      ok: false,
      problem: 'json_too_deep',
      message: jsonTooDeepMessage(32),
    });
  });

  it('drops __proto__ keys and constructor.prototype keys at every level', () => {
    const result = read(
      '{"type":"shipment.tracked","data":{"trackingReference":"MSCU1234566",' +
        '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},' +
        '"tags":[{"name":"x","__proto__":{"polluted":"yes"}}]}}',
    );
    expect(result.ok).toBe(true);
    const data = result.ok ? result.envelope.data : {};
    expect(Object.keys(data)).toEqual(['trackingReference', 'tags']);
    expect(Object.keys((data['tags'] as object[])[0] ?? {})).toEqual(['name']);
    expect(Object.assign<object, object>({}, data)).not.toHaveProperty('polluted');
  });

  it('refuses a body that is not an object with type and data', () => {
    expect(read('[1,2]')).toEqual({
      ok: false,
      problem: 'invalid_envelope',
      message: invalidEnvelopeMessage('the body is not a JSON object'),
    });
    expect(read('{"type":"x.y"}')).toEqual({
      ok: false,
      problem: 'invalid_envelope',
      message: invalidEnvelopeMessage('"data" is missing or not an object'),
    });
  });
});

describe('parseVisiwiseEnvelope', () => {
  it('refuses bytes that are not JSON', () => {
    expect(parseVisiwiseEnvelope(Buffer.from('{"type":'))).toEqual({
      ok: false,
      problem: 'invalid_json',
      message: invalidJsonMessage(),
    });
  });
});

describe('readVisiwiseEnvelope', () => {
  it('terminates on a cyclic value (answered as too deep, not walked forever)', () => {
    const data: Record<string, unknown> = { trackingReference: 'MSCU1234566' };
    data['self'] = data;
    expect(readVisiwiseEnvelope({ type: 'shipment.tracked', data }, { maxDepth: 32 })).toEqual({
      ok: false,
      problem: 'json_too_deep',
      message: jsonTooDeepMessage(32),
    });
  });
});

const parse = (body: unknown) => parseVisiwiseEnvelope(Buffer.from(JSON.stringify(body)));

/** The issues a payload's checks found: the event is still read, with them listed. */
const issuesOf = (body: unknown): readonly string[] | undefined => {
  const parsed = parse(body);
  return parsed.ok ? parsed.envelope.issues : undefined;
};

const issue = (field: string, expected: string) => payloadFieldProblem(field, expected);

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
      envelope: { type, data, timestamp: undefined, issues: [] },
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

  it('lists the issues of shipment.tracked without a non-empty trackingReference', () => {
    const { data } = buildShipmentTracked();
    const trackingReference = issue('trackingReference', 'a non-empty string');
    expect(
      issuesOf({ type: 'shipment.tracked', data: { ...data, trackingReference: '' } }),
    ).toEqual([trackingReference]);
    // A snake_case payload is still read, with the typed field it lacks named as its issue.
    const snake = parse({ type: 'shipment.tracked', data: { tracking_reference: 'MSCU1234566' } });
    expect(snake).toEqual({
      ok: true,
      envelope: {
        type: 'shipment.tracked',
        data: { tracking_reference: 'MSCU1234566' },
        timestamp: undefined,
        issues: [trackingReference],
      },
    });
    expect(issuesOf(buildShipmentTracked())).toEqual([]);
  });

  it('lists the issues of shipment.tracking_failed without shipment.trackingReference', () => {
    const reference = issue('shipment.trackingReference', 'a non-empty string');
    expect(issuesOf({ type: 'shipment.tracking_failed', data: { trackStatus: {} } })).toEqual([
      reference,
    ]);
    expect(
      issuesOf({ type: 'shipment.tracking_failed', data: { shipment: 'FFAU1122330' } }),
    ).toEqual([reference]);
    expect(issuesOf(buildShipmentTrackingFailed())).toEqual([]);
  });

  it('lists every issue of shipment.arrival_time_changed, not only the first', () => {
    const { data } = buildShipmentArrivalTimeChanged();
    const type = 'shipment.arrival_time_changed';
    expect(issuesOf({ type, data: { ...data, current: null } })).toEqual([
      issue('current', 'an object'),
    ]);
    expect(issuesOf({ type, data: { ...data, shipment: {}, current: 'soon' } })).toEqual([
      issue('shipment.trackingReference', 'a non-empty string'),
      issue('current', 'an object'),
    ]);
  });

  it('lists the issues of shipment.container_movement without the container number or the movement', () => {
    const { data } = buildShipmentContainerMovement();
    const type = 'shipment.container_movement';
    expect(issuesOf({ type, data: { ...data, container: { id: '1' } } })).toEqual([
      issue('container.number', 'a non-empty string'),
    ]);
    expect(issuesOf({ type, data: { ...data, event: [] } })).toEqual([issue('event', 'an object')]);
    expect(issuesOf({ type, data: { ...data, shipment: undefined } })).toEqual([
      issue('shipment.trackingReference', 'a non-empty string'),
    ]);
  });

  it('shares one frozen empty list between clean events', () => {
    const first = issuesOf(buildShipmentTracked());
    expect(first).toBe(issuesOf(buildShipmentTrackingFailed()));
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('does not check types it does not know', () => {
    expect(issuesOf({ type: 'shipment.created', data: {} })).toEqual([]);
  });
});
