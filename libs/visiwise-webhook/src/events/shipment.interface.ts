/*
 * Payload of `shipment.tracked`, modelled on Visiwise's public GraphQL `Shipment` type (the webhook
 * payload itself is not published). Everything but `trackingReference` is optional or nullable and
 * unknown fields are kept, so a payload that differs from this guess still reaches handlers.
 * See docs/EVENTS.md for what is known and what is assumed.
 */

/** Status of the tracking lookup job (not of the cargo): `Track-Succeeded` means the lookup worked. */
export type VisiwiseTrackStatusValue =
  | 'Is-Tracking'
  | 'Track-Queued'
  | 'Track-Succeeded'
  | 'Track-Failed'
  // Open-ended: an unseen value is still a string, but the known ones keep autocompletion.
  | (string & Record<never, never>);

/** `trackStatus { status exception }`: outcome of the lookup, with free-text failure reason. */
export interface VisiwiseTrackStatus {
  readonly status: VisiwiseTrackStatusValue;
  readonly exception?: string | null;
  readonly [field: string]: unknown;
}

/** `shippingLine { name keyname }`; `keyname` is Visiwise's line key (e.g. "MSC"), not a SCAC. */
export interface VisiwiseShippingLine {
  readonly name?: string | null;
  readonly keyname?: string | null;
  /** Standard Carrier Alpha Code (e.g. "MSCU"). Inferred: Visiwise's REST API uses SCACs. */
  readonly scac?: string | null;
  readonly [field: string]: unknown;
}

/** A place, `{ unlocodeName }`: a location name as Visiwise shows it. */
export interface VisiwisePlace {
  readonly unlocodeName?: string | null;
  /** The 5-character UN/LOCODE (e.g. "NLRTM"). Inferred: not seen in Visiwise's API yet. */
  readonly unlocode?: string | null;
  readonly [field: string]: unknown;
}

/** `arrivalTime { value isActual }`: an ETA when `isActual` is false, the actual arrival when true. */
export interface VisiwiseArrivalTime {
  /** ISO-8601 date-time. */
  readonly value?: string | null;
  readonly isActual?: boolean | null;
  readonly [field: string]: unknown;
}

/** `currentVessel { name position { latitude longitude actualSnapTime } }` (AIS position). */
export interface VisiwiseVessel {
  readonly name?: string | null;
  readonly position?: {
    readonly latitude?: number | null;
    readonly longitude?: number | null;
    readonly actualSnapTime?: string | null;
    readonly [field: string]: unknown;
  } | null;
  readonly [field: string]: unknown;
}

/** Fields shared by the three tracking kinds. */
export interface VisiwiseTrackingBase {
  readonly id?: string | null;
  /** Container (ISO 6346), bill of lading or booking number. */
  readonly number?: string | null;
  readonly trackStatus?: VisiwiseTrackStatus | null;
  readonly shippingLine?: VisiwiseShippingLine | null;
  readonly arrivalTime?: VisiwiseArrivalTime | null;
  readonly portOfLoading?: VisiwisePlace | null;
  readonly portOfDischarge?: VisiwisePlace | null;
  readonly [field: string]: unknown;
}

/** One container inside a bill of lading or booking. */
export interface VisiwiseContainer {
  readonly id?: string | null;
  readonly number?: string | null;
  readonly trackStatus?: VisiwiseTrackStatus | null;
  readonly arrivalTime?: VisiwiseArrivalTime | null;
  readonly lastMovementEventDescription?: string | null;
  readonly currentVessel?: VisiwiseVessel | null;
  readonly [field: string]: unknown;
}

/** Tracking by container number. */
export interface VisiwiseContainerTracking extends VisiwiseTrackingBase {
  readonly lastMovementEventDescription?: string | null;
  readonly currentVessel?: VisiwiseVessel | null;
}

/** Tracking by bill of lading: several containers, each in its own state. */
export interface VisiwiseBillOfLadingTracking extends VisiwiseTrackingBase {
  readonly placeOfReceipt?: VisiwisePlace | null;
  readonly placeOfDelivery?: VisiwisePlace | null;
  readonly containers?: readonly VisiwiseContainer[] | null;
}

/** Tracking by booking number. */
export interface VisiwiseBookingTracking extends VisiwiseTrackingBase {
  readonly containers?: readonly VisiwiseContainer[] | null;
}

/** A user label on a shipment. */
export interface VisiwiseTag {
  readonly name: string;
  readonly [field: string]: unknown;
}

/**
 * The `data` of a `shipment.tracked` event: a Visiwise shipment after a tracking run finished
 * (successfully or not: see `trackStatus.status`). Usually exactly one of `containerTracking`,
 * `blTracking` and `bookingTracking` is set.
 */
export interface VisiwiseShipment {
  /** The reference the shipment is tracked by (container, BL or booking number). Always present. */
  readonly trackingReference: string;
  /** Visiwise's shipment id. */
  readonly id?: string | null;
  readonly containerTracking?: VisiwiseContainerTracking | null;
  readonly blTracking?: VisiwiseBillOfLadingTracking | null;
  readonly bookingTracking?: VisiwiseBookingTracking | null;
  readonly tags?: readonly VisiwiseTag[] | null;
  readonly [field: string]: unknown;
}
