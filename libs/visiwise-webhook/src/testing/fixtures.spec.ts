import { parseVisiwiseEnvelope } from '../events/visiwise-event.parser';
import type { VisiwiseEventType } from '../events/visiwise-event.interface';
import {
  buildShipmentTracked,
  buildShipmentTrackedBillOfLading,
  buildShipmentTrackedBooking,
  buildShipmentTrackedFailed,
} from './shipment-tracked.fixtures';
import {
  buildShipmentArrivalTimeChanged,
  buildShipmentContainerMovement,
  buildShipmentTrackingFailed,
} from './shipment-update-events.fixtures';
import { toVisiwiseEvent, VisiwiseEventEnvelope } from './visiwise-event-envelope';

/* ---------------------------- independent validators ---------------------------- */

/** ISO 6346 letter values: A=10, then +1 per letter, skipping multiples of 11. */
const ISO6346_LETTERS: ReadonlyMap<string, number> = (() => {
  const values = new Map<string, number>();
  let value = 10;
  for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    if (value % 11 === 0) value++;
    values.set(letter, value++);
  }
  return values;
})();

/** ISO 6346: owner code (3 letters) + category (U, J or Z) + 6 digits + check digit. */
function isValidContainerNumber(number: string): boolean {
  if (!/^[A-Z]{3}[UJZ][0-9]{7}$/.test(number)) return false;
  let sum = 0;
  for (let index = 0; index < 10; index++) {
    const char = number.charAt(index);
    const value = /[0-9]/.test(char) ? Number(char) : ISO6346_LETTERS.get(char)!;
    sum += value * 2 ** index;
  }
  return (sum % 11) % 10 === Number(number.charAt(10));
}

/** IMO ship number: 7 digits, the last = sum of digit * (7..2) mod 10. */
function isValidImo(imo: string): boolean {
  if (!/^[0-9]{7}$/.test(imo)) return false;
  const digits = Array.from(imo, Number);
  const sum = digits.slice(0, 6).reduce((total, digit, index) => total + digit * (7 - index), 0);
  return sum % 10 === digits[6];
}

/** Real UN/LOCODEs (UNECE code list) and the place names the fixtures pair them with. */
const UN_LOCODES: Readonly<Record<string, string>> = {
  BEANR: 'Antwerp',
  CNNGB: 'Ningbo',
  CNSHA: 'Shanghai',
  DEHAM: 'Hamburg',
  GBFXT: 'Felixstowe',
  KRPUS: 'Busan',
  NLRTM: 'Rotterdam',
  SGSIN: 'Singapore',
  USLAX: 'Los Angeles',
};

const ISO_8601_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

type Visit = (key: string, value: unknown, holder: Record<string, unknown>) => void;

function walk(value: unknown, visit: Visit): void {
  if (Array.isArray(value)) {
    value.forEach((item) => {
      walk(item, visit);
    });
  } else if (typeof value === 'object' && value !== null) {
    const holder = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(holder)) {
      visit(key, child, holder);
      walk(child, visit);
    }
  }
}

/* ------------------------------------ fixtures ----------------------------------- */

const FIXTURES: readonly (readonly [string, () => VisiwiseEventEnvelope])[] = [
  ['buildShipmentTracked', () => buildShipmentTracked()],
  ['buildShipmentTrackedBillOfLading', () => buildShipmentTrackedBillOfLading()],
  ['buildShipmentTrackedBooking', () => buildShipmentTrackedBooking()],
  ['buildShipmentTrackedFailed', () => buildShipmentTrackedFailed()],
  ['buildShipmentTrackingFailed', () => buildShipmentTrackingFailed()],
  ['buildShipmentArrivalTimeChanged', () => buildShipmentArrivalTimeChanged()],
  ['buildShipmentContainerMovement', () => buildShipmentContainerMovement()],
];

describe('the validators used on the fixtures', () => {
  it('ISO 6346: accepts published examples and rejects a wrong check digit', () => {
    // DFSU7162007 is the example of Visiwise's docs; CSQU3054383 the one of ISO 6346 itself.
    expect(isValidContainerNumber('DFSU7162007')).toBe(true);
    expect(isValidContainerNumber('CSQU3054383')).toBe(true);
    expect(isValidContainerNumber('CSQU3054384')).toBe(false);
    expect(isValidContainerNumber('MSCU1234567')).toBe(false);
    expect(isValidContainerNumber('MSCX1234566')).toBe(false);
  });

  it('IMO: accepts a known number and rejects a wrong check digit', () => {
    expect(isValidImo('9074729')).toBe(true);
    expect(isValidImo('9074728')).toBe(false);
  });
});

describe.each(FIXTURES)('%s', (_name, build) => {
  const envelope = build();

  it('is an envelope the module reads without issues (passes its lenient payload checks)', () => {
    const parsed = parseVisiwiseEnvelope(Buffer.from(JSON.stringify(envelope)));
    expect(parsed).toEqual({
      ok: true,
      envelope: {
        type: envelope.type,
        data: envelope.data,
        timestamp: new Date(envelope.timestamp),
        issues: [],
      },
    });
  });

  it('uses container numbers with correct ISO 6346 check digits', () => {
    // Every value shaped like a container number (owner code + category + 7 digits) is checked;
    // every fixture has at least one (BL and booking numbers have other shapes).
    const numbers: string[] = [];
    walk(envelope.data, (_key, value) => {
      if (typeof value === 'string' && /^[A-Z]{4}\d{7}$/.test(value)) numbers.push(value);
    });
    expect(numbers.length).toBeGreaterThan(0);
    for (const number of numbers) {
      expect({ number, valid: isValidContainerNumber(number) }).toEqual({ number, valid: true });
    }
  });

  it('uses real UN/LOCODEs with their place names', () => {
    walk(envelope.data, (key, value, holder) => {
      if (key === 'unlocode') {
        expect(typeof value).toBe('string');
        expect(UN_LOCODES).toHaveProperty([value as string], holder['unlocodeName']);
      }
    });
  });

  it('uses ISO-8601 UTC times and valid IMO numbers', () => {
    expect(envelope.timestamp).toMatch(ISO_8601_UTC);
    walk(envelope.data, (key, value) => {
      if (['value', 'occurredAt', 'actualSnapTime'].includes(key) && value !== null) {
        expect(value).toMatch(ISO_8601_UTC);
        expect(Number.isNaN(Date.parse(value as string))).toBe(false);
      }
      if (key === 'imo') {
        expect(isValidImo(value as string)).toBe(true);
      }
    });
  });

  it('returns an independent copy on every call', () => {
    const first = build();
    (first.data as Record<string, unknown>)['mutated'] = true;
    expect(build().data).not.toHaveProperty('mutated');
    expect(build()).toEqual(envelope);
  });
});

describe('fixture scenarios', () => {
  it('container in transit: an ETA, not an actual arrival', () => {
    const { data } = buildShipmentTracked();
    expect(data.containerTracking?.trackStatus?.status).toBe('Track-Succeeded');
    expect(data.containerTracking?.arrivalTime).toEqual({
      value: '2025-10-21T14:00:00Z',
      isActual: false,
    });
    expect(data.blTracking).toBeNull();
    expect(data.bookingTracking).toBeNull();
  });

  it('bill of lading: several containers in different states', () => {
    const containers = buildShipmentTrackedBillOfLading().data.blTracking?.containers ?? [];
    expect(containers.length).toBeGreaterThanOrEqual(3);
    expect(new Set(containers.map((c) => c.lastMovementEventDescription)).size).toBe(
      containers.length,
    );
    expect(containers.map((c) => c.arrivalTime?.isActual)).toEqual([true, true, false]);
  });

  it('booking: a booking tracking with containers', () => {
    const { data } = buildShipmentTrackedBooking();
    expect(data.bookingTracking?.number).toBe(data.trackingReference);
    expect(data.bookingTracking?.containers).toHaveLength(2);
  });

  it('failed lookup: Track-Failed with the reason and no arrival', () => {
    const tracking = buildShipmentTrackedFailed().data.containerTracking;
    expect(tracking?.trackStatus).toEqual({
      status: 'Track-Failed',
      exception: 'Container not found on the shipping line website',
    });
    expect(tracking?.arrivalTime).toBeNull();
  });
});

describe('overrides', () => {
  it('deep-merge objects and keep the fixture values not overridden', () => {
    const { data } = buildShipmentTracked({
      trackingReference: 'TGHU2468106',
      containerTracking: { number: 'TGHU2468106', arrivalTime: { isActual: true } },
    });
    expect(data.trackingReference).toBe('TGHU2468106');
    expect(data.containerTracking?.number).toBe('TGHU2468106');
    expect(data.containerTracking?.arrivalTime).toEqual({
      value: '2025-10-21T14:00:00Z',
      isActual: true,
    });
    expect(data.containerTracking?.shippingLine?.name).toBe('MSC');
  });

  it('replace arrays and accept null', () => {
    const { data } = buildShipmentTrackedBillOfLading({
      blTracking: { containers: [{ number: 'HLXU1357904' }], portOfLoading: null },
      tags: [{ name: 'urgent' }],
    });
    expect(data.blTracking?.containers).toEqual([{ number: 'HLXU1357904' }]);
    expect(data.blTracking?.portOfLoading).toBeNull();
    expect(data.blTracking?.portOfDischarge?.unlocode).toBe('DEHAM');
    expect(data.tags).toEqual([{ name: 'urgent' }]);
  });

  it('keep unknown fields (the payload types are open)', () => {
    const { data } = buildShipmentContainerMovement({ event: { berth: 'K913' }, extra: 1 });
    expect(data.event['berth']).toBe('K913');
    expect(data['extra']).toBe(1);
    expect(data.event.code).toBe('DEPA');
  });

  it('never alias the caller objects or let "__proto__" reach a prototype', () => {
    const override = { shipment: { trackingReference: 'FFAU1122330', tags: ['a'] } };
    const { data } = buildShipmentTrackingFailed(override);
    (data.shipment['tags'] as string[]).push('b');
    expect(override.shipment.tags).toEqual(['a']);

    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, never>;
    const built = buildShipmentTracked(hostile);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(built.data)).toBe(Object.prototype);
    expect(built.data).toStrictEqual(buildShipmentTracked().data);
  });

  it('set the envelope time from a Date or a string', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(buildShipmentTracked({}, { timestamp: at }).timestamp).toBe('2026-01-02T03:04:05.000Z');
    expect(
      buildShipmentArrivalTimeChanged({}, { timestamp: '2026-01-02T00:00:00Z' }).timestamp,
    ).toBe('2026-01-02T00:00:00Z');
  });
});

describe('toVisiwiseEvent', () => {
  it('makes the event a handler receives from an envelope', () => {
    const receivedAt = new Date('2025-09-18T07:42:14.000Z');
    const envelope = buildShipmentTracked();
    const event = toVisiwiseEvent(envelope, { id: 'msg_unit', receivedAt });
    expect(event).toEqual({
      id: 'msg_unit',
      type: 'shipment.tracked',
      timestamp: new Date('2025-09-18T07:42:13.512Z'),
      data: envelope.data,
      receivedAt,
      issues: [],
      endpoint: 'default',
      tenant: undefined,
    });
    const type: VisiwiseEventType = event.type;
    expect(type).toBe('shipment.tracked');
  });

  it('defaults to a random msg_ id and now', () => {
    const before = Date.now();
    const first = toVisiwiseEvent(buildShipmentContainerMovement());
    const second = toVisiwiseEvent(buildShipmentContainerMovement());
    expect(first.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(first.id).not.toBe(second.id);
    expect(first.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
  });
});
