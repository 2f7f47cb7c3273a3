/*
 * Payloads of the events beyond `shipment.tracked` that a tracking platform such as Visiwise emits.
 * INFERRED: Visiwise has not published these event types or their schemas. Names and shapes are
 * modelled on Visiwise's GraphQL `Shipment` and on peers (Terminal49, Vizion, DCSA Track & Trace);
 * see docs/EVENTS.md. The module checks only the fields listed as required below and keeps every
 * other field, so a payload shaped differently still reaches handlers.
 */
import type { VisiwiseArrivalTime, VisiwisePlace, VisiwiseTrackStatus } from './shipment.interface';

/**
 * How a shipment is tracked, as Visiwise's GraphQL API names the tracking object
 * (`ContainerTracking`, `BLTracking`, `BookingTracking`). Open-ended: an unseen value is kept.
 */
export type VisiwiseTrackingType =
  'ContainerTracking' | 'BLTracking' | 'BookingTracking' | (string & Record<never, never>);

/**
 * The shipment an update event is about (inferred). Only `trackingReference` is required: it is what
 * a handler looks the shipment up by.
 */
export interface VisiwiseShipmentRef {
  /** The container, bill of lading or booking number the shipment is tracked by. Always present. */
  readonly trackingReference: string;
  /** Visiwise's shipment id. */
  readonly id?: string | null;
  readonly trackingType?: VisiwiseTrackingType | null;
  readonly [field: string]: unknown;
}

/** A container an update event is about (inferred). */
export interface VisiwiseContainerRef {
  /** ISO 6346 container number, e.g. "MSCU1234566". Always present. */
  readonly number: string;
  readonly id?: string | null;
  readonly [field: string]: unknown;
}

/**
 * One movement (milestone) of a container (inferred), modelled on Terminal49 transport events and
 * DCSA equipment events. `description` uses the vocabulary of Visiwise's
 * `lastMovementEventDescription` ("Loaded on Vessel", "Discharge From Vessel", ...).
 */
export interface VisiwiseMovementEvent {
  readonly description?: string | null;
  /** DCSA-style code such as `LOAD`, `DISC`, `GTIN`, `GTOT`, `ARRI`, `DEPA`. */
  readonly code?: string | null;
  /** ISO-8601 date-time of the movement. */
  readonly occurredAt?: string | null;
  /** `true` for an actual movement, `false` for a planned or estimated one. */
  readonly isActual?: boolean | null;
  readonly location?: VisiwisePlace | null;
  readonly vessel?: {
    readonly name?: string | null;
    readonly imo?: string | null;
    readonly [field: string]: unknown;
  } | null;
  readonly voyage?: string | null;
  readonly [field: string]: unknown;
}

/**
 * `data` of `shipment.tracking_failed` (inferred): Visiwise gave up tracking a shipment (wrong
 * number, wrong carrier, not found). It may never be sent: a failed lookup may surface only as a
 * `shipment.tracked` event whose `trackStatus.status` is `Track-Failed`. Handle both.
 * Required: `shipment.trackingReference`.
 */
export interface VisiwiseShipmentTrackingFailed {
  readonly shipment: VisiwiseShipmentRef;
  /** Usually `{ status: 'Track-Failed', exception: '<why>' }`. */
  readonly trackStatus?: VisiwiseTrackStatus | null;
  readonly [field: string]: unknown;
}

/**
 * `data` of `shipment.arrival_time_changed` (inferred): the estimated or actual arrival of a
 * shipment, or of one of its containers, changed. Required: `shipment.trackingReference` and a
 * `current` object.
 */
export interface VisiwiseShipmentArrivalTimeChanged {
  readonly shipment: VisiwiseShipmentRef;
  /** The container whose arrival changed; absent when the change is for the whole shipment. */
  readonly container?: VisiwiseContainerRef | null;
  /** The arrival time before the change, if there was one. */
  readonly previous?: VisiwiseArrivalTime | null;
  /** The arrival time now: an ETA when `isActual` is false, the actual arrival when true. */
  readonly current: VisiwiseArrivalTime;
  readonly [field: string]: unknown;
}

/**
 * `data` of `shipment.container_movement` (inferred): a container of a shipment moved (gate out,
 * loaded, departed, discharged, ...). Required: `shipment.trackingReference`, `container.number`
 * and an `event` object.
 */
export interface VisiwiseShipmentContainerMovement {
  readonly shipment: VisiwiseShipmentRef;
  readonly container: VisiwiseContainerRef;
  readonly event: VisiwiseMovementEvent;
  readonly [field: string]: unknown;
}
