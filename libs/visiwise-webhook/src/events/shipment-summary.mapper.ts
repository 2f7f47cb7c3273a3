import type { VisiwiseShipment } from './shipment.interface';
import type {
  VisiwiseArrivalSummary,
  VisiwiseCarrierSummary,
  VisiwiseContainerSummary,
  VisiwiseLookupStatus,
  VisiwisePortSummary,
  VisiwiseShipmentSummary,
  VisiwiseTrackingKind,
} from './shipment-summary.interface';

/*
 * Visiwise does not publish its webhook payloads (docs/EVENTS.md). The typed shape follows its
 * GraphQL API (camelCase); its REST API serialises the same model in snake_case and names a few
 * things differently (`tracking_number`, `tracking_type`, `carrier`). Every read below therefore
 * tries the camelCase name, then its snake_case spelling, then the known aliases, and any missing or
 * mistyped value becomes `null`: a schema surprise changes this file, not the application.
 */

type Json = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The first present (not undefined / null) value among the names and their snake_case spellings. */
function field(source: Json | undefined, ...names: string[]): unknown {
  if (!source) {
    return undefined;
  }
  for (const name of names) {
    for (const key of [name, snakeCase(name)]) {
      const value = source[key];
      if (value !== undefined && value !== null) {
        return value;
      }
    }
  }
  return undefined;
}

function text(source: Json | undefined, ...names: string[]): string | null {
  const value = field(source, ...names);
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function object(source: Json | undefined, ...names: string[]): Json | undefined {
  const value = field(source, ...names);
  return isObject(value) ? value : undefined;
}

function list(source: Json | undefined, ...names: string[]): readonly unknown[] {
  const value = field(source, ...names);
  return Array.isArray(value) ? value : [];
}

function flag(source: Json | undefined, ...names: string[]): boolean | null {
  const value = field(source, ...names);
  if (typeof value === 'boolean') {
    return value;
  }
  if (value === 'true' || value === 'false') {
    return value === 'true';
  }
  return null;
}

const NO_ARRIVAL: VisiwiseArrivalSummary = { eta: null, arrivedAt: null, hasArrived: false };

function arrivalOf(source: Json | undefined): VisiwiseArrivalSummary | null {
  const arrival = object(source, 'arrivalTime');
  const at = text(arrival, 'value');
  if (at === null) {
    return null;
  }
  return flag(arrival, 'isActual') === true
    ? { eta: null, arrivedAt: at, hasArrived: true }
    : { eta: at, arrivedAt: null, hasArrived: false };
}

/** Latest of ISO-8601 strings (by instant; unparsable ones lose to parsable ones). */
function latest(values: readonly string[]): string | null {
  let best: string | null = null;
  let bestTime = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    const time = Date.parse(value);
    const comparable = Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
    if (best === null || comparable > bestTime) {
      best = value;
      bestTime = comparable;
    }
  }
  return best;
}

/** A shipment of several containers has arrived when all of them have; until then, the last ETA. */
function combinedArrival(containers: readonly VisiwiseContainerSummary[]): VisiwiseArrivalSummary {
  if (containers.length === 0) {
    return NO_ARRIVAL;
  }
  if (containers.every((container) => container.arrival.hasArrived)) {
    const arrivedAt = latest(containers.map((container) => container.arrival.arrivedAt ?? ''));
    return { eta: null, arrivedAt, hasArrived: true };
  }
  const etas = containers
    .map((container) => container.arrival.eta)
    .filter((eta): eta is string => eta !== null);
  return { eta: latest(etas), arrivedAt: null, hasArrived: false };
}

function lookupStatusOf(raw: string | null): VisiwiseLookupStatus {
  // `Track-Succeeded`, `track_succeeded`, `TRACK SUCCEEDED` and `succeeded` all mean the same.
  const normalised = (raw ?? '').toLowerCase().replace(/[\s_]+/g, '-');
  switch (normalised) {
    case 'is-tracking':
    case 'track-queued':
    case 'tracking':
    case 'queued':
    case 'pending':
      return 'tracking';
    case 'track-succeeded':
    case 'succeeded':
      return 'succeeded';
    case 'track-failed':
    case 'failed':
      return 'failed';
    default:
      return 'unknown';
  }
}

function portOf(source: Json | undefined, ...names: string[]): VisiwisePortSummary | null {
  const place = field(source, ...names);
  if (typeof place === 'string' && place.trim() !== '') {
    // A bare string: a UN/LOCODE if it looks like one (2 letters + 3 letters/digits), else a name.
    return /^[A-Z]{2}[A-Z2-9]{3}$/.test(place)
      ? { name: null, unlocode: place }
      : { name: place, unlocode: null };
  }
  if (!isObject(place)) {
    return null;
  }
  const name = text(place, 'unlocodeName', 'name');
  const unlocode = text(place, 'unlocode', 'locode');
  return name === null && unlocode === null ? null : { name, unlocode };
}

function carrierOf(shipment: Json, tracking: Json | undefined): VisiwiseCarrierSummary | null {
  const given = field(tracking, 'shippingLine') ?? field(shipment, 'shippingLine');
  // `shippingLine { name keyname }`, or a bare line key.
  const line: Json | undefined =
    typeof given === 'string' ? { keyname: given } : isObject(given) ? given : undefined;
  // REST v1 names the carrier by SCAC, or "AUTO" when Visiwise should detect it.
  const restCarrier = text(shipment, 'carrier');
  const scac = text(line, 'scac') ?? (restCarrier !== 'AUTO' ? restCarrier : null);
  const name = text(line, 'name');
  const key = text(line, 'keyname', 'key');
  return name === null && key === null && scac === null ? null : { name, key, scac };
}

function containerOf(source: Json): VisiwiseContainerSummary {
  return {
    number: text(source, 'number', 'containerNumber'),
    arrival: arrivalOf(source) ?? NO_ARRIVAL,
    lastMovement: text(source, 'lastMovementEventDescription', 'lastMovement'),
    vessel: text(object(source, 'currentVessel', 'vessel'), 'name'),
  };
}

const TRACKING_FIELDS = {
  container: ['containerTracking'],
  bill_of_lading: ['blTracking', 'billOfLadingTracking'],
  booking: ['bookingTracking'],
} as const satisfies Record<Exclude<VisiwiseTrackingKind, 'unknown'>, readonly string[]>;

function kindFromType(value: string | null): VisiwiseTrackingKind {
  switch ((value ?? '').toLowerCase().replace(/[\s_-]+/g, '')) {
    case 'container':
    case 'containertracking':
      return 'container';
    case 'billoflading':
    case 'bl':
    case 'bol':
    case 'bltracking':
      return 'bill_of_lading';
    case 'booking':
    case 'bookingtracking':
      return 'booking';
    default:
      return 'unknown';
  }
}

/** Tag names, from `tags: [{ name }]` or a plain list of strings. */
function tagsOf(source: Json): string[] {
  return list(source, 'tags')
    .map((tag) => (typeof tag === 'string' ? tag : isObject(tag) ? text(tag, 'name') : null))
    .filter((name): name is string => name !== null && name !== '');
}

/**
 * Normalises a Visiwise shipment payload (the `data` of `shipment.tracked`, or the `shipment` of
 * the inferred update events) into a {@link VisiwiseShipmentSummary}: reference, tracking kind,
 * carrier, ports, ETA versus actual arrival, containers, lookup status and failure reason.
 *
 * Lenient by design: it accepts the typed camelCase shape, the same fields in snake_case
 * (`tracking_reference`, `container_tracking`, `track_status`, `arrival_time.is_actual`,
 * `unlocode_name`, ...) and Visiwise's REST names (`tracking_number`, `tracking_type`, `carrier`).
 * Missing or mistyped fields become `null`; it never throws.
 *
 * ```ts
 * @OnVisiwiseEvent('shipment.tracked')
 * onTracked(event: VisiwiseEvent<'shipment.tracked'>) {
 *   const summary = toShipmentSummary(event.data);
 *   if (summary.status === 'failed') this.alert(summary.reference, summary.failureReason);
 *   else if (summary.arrival.hasArrived) this.markArrived(summary.reference, summary.arrival.arrivedAt);
 * }
 * ```
 */
export function toShipmentSummary(
  shipment: VisiwiseShipment | Readonly<Record<string, unknown>>,
): VisiwiseShipmentSummary {
  const source: Json = isObject(shipment) ? shipment : {};
  let kind: VisiwiseTrackingKind = 'unknown';
  let tracking: Json | undefined;
  for (const [candidate, names] of Object.entries(TRACKING_FIELDS)) {
    const found = object(source, ...names);
    if (found) {
      kind = candidate as VisiwiseTrackingKind;
      tracking = found;
      break;
    }
  }
  if (kind === 'unknown') {
    kind = kindFromType(text(source, 'trackingType'));
  }

  const containers =
    kind === 'container'
      ? tracking
        ? [containerOf(tracking)]
        : []
      : list(tracking, 'containers').filter(isObject).map(containerOf);
  // `trackStatus { status exception }`, or (REST-style) a bare status string.
  const trackStatus = field(tracking, 'trackStatus') ?? field(source, 'trackStatus');
  const statusObject = isObject(trackStatus) ? trackStatus : undefined;
  const rawStatus =
    typeof trackStatus === 'string' && trackStatus.trim() !== ''
      ? trackStatus
      : text(statusObject, 'status');

  return {
    reference: text(source, 'trackingReference', 'trackingNumber') ?? text(tracking, 'number'),
    shipmentId: text(source, 'id'),
    kind,
    carrier: carrierOf(source, tracking),
    ports: {
      receipt: portOf(tracking, 'placeOfReceipt') ?? portOf(source, 'placeOfReceipt'),
      loading: portOf(tracking, 'portOfLoading') ?? portOf(source, 'portOfLoading'),
      discharge: portOf(tracking, 'portOfDischarge') ?? portOf(source, 'portOfDischarge'),
      delivery: portOf(tracking, 'placeOfDelivery') ?? portOf(source, 'placeOfDelivery'),
    },
    arrival: arrivalOf(tracking) ?? arrivalOf(source) ?? combinedArrival(containers),
    containers,
    status: lookupStatusOf(rawStatus),
    rawStatus,
    failureReason: text(statusObject, 'exception', 'failedReason', 'reason'),
    tags: tagsOf(source),
  };
}
