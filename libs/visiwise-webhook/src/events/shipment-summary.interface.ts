/*
 * A provider-neutral view of a Visiwise shipment, produced by `toShipmentSummary()`. Application
 * code that reads this instead of the raw payload survives a payload schema surprise (camelCase vs
 * snake_case, REST vs GraphQL names): only the mapper changes.
 */

/** How the shipment is tracked: by container number, bill of lading or booking number. */
export type VisiwiseTrackingKind = 'container' | 'bill_of_lading' | 'booking' | 'unknown';

/**
 * Outcome of Visiwise's tracking lookup (not of the cargo journey): `tracking` while it runs
 * (`Is-Tracking`, `Track-Queued`), then `succeeded` or `failed`; `unknown` for anything else.
 */
export type VisiwiseLookupStatus = 'tracking' | 'succeeded' | 'failed' | 'unknown';

/** The shipping line. */
export interface VisiwiseCarrierSummary {
  /** Display name, e.g. "Hapag-Lloyd". */
  readonly name: string | null;
  /** Visiwise's line key, e.g. "MSC". */
  readonly key: string | null;
  /** Standard Carrier Alpha Code, e.g. "MSCU", when the payload carries one. */
  readonly scac: string | null;
}

/** A port or place. */
export interface VisiwisePortSummary {
  /** The place name as Visiwise shows it (`unlocodeName`), e.g. "Rotterdam". */
  readonly name: string | null;
  /** The UN/LOCODE, e.g. "NLRTM", when the payload carries one. */
  readonly unlocode: string | null;
}

/** Estimated versus actual arrival. At most one of `eta` and `arrivedAt` is set. */
export interface VisiwiseArrivalSummary {
  /** Estimated time of arrival (ISO-8601, as sent), while not arrived. */
  readonly eta: string | null;
  /** Actual time of arrival (ISO-8601, as sent), once arrived. */
  readonly arrivedAt: string | null;
  /** Whether the arrival is actual (`arrivedAt` is set). */
  readonly hasArrived: boolean;
}

/** One container of the shipment. */
export interface VisiwiseContainerSummary {
  /** ISO 6346 container number. */
  readonly number: string | null;
  readonly arrival: VisiwiseArrivalSummary;
  /** The latest movement, e.g. "Loaded on Vessel", "Discharge From Vessel". */
  readonly lastMovement: string | null;
  /** The vessel the container is on, if any. */
  readonly vessel: string | null;
}

/** The ports of a shipment, from receipt to delivery. */
export interface VisiwiseShipmentPorts {
  readonly receipt: VisiwisePortSummary | null;
  readonly loading: VisiwisePortSummary | null;
  readonly discharge: VisiwisePortSummary | null;
  readonly delivery: VisiwisePortSummary | null;
}

/** What `toShipmentSummary()` makes of a shipment payload. Missing data is `null`, never thrown. */
export interface VisiwiseShipmentSummary {
  /** The container, bill of lading or booking number the shipment is tracked by. */
  readonly reference: string | null;
  /** Visiwise's shipment id. */
  readonly shipmentId: string | null;
  readonly kind: VisiwiseTrackingKind;
  readonly carrier: VisiwiseCarrierSummary | null;
  readonly ports: VisiwiseShipmentPorts;
  /**
   * Arrival of the shipment: its own arrival time if the payload has one; otherwise, for several
   * containers, arrived when all have arrived (at the latest arrival), else the latest ETA.
   */
  readonly arrival: VisiwiseArrivalSummary;
  /** The tracked container (container tracking) or the containers of the BL or booking. */
  readonly containers: readonly VisiwiseContainerSummary[];
  /** Outcome of the tracking lookup. `succeeded` does not mean the cargo arrived: see `arrival`. */
  readonly status: VisiwiseLookupStatus;
  /** The status as sent, e.g. "Track-Succeeded". */
  readonly rawStatus: string | null;
  /** Why tracking failed (`trackStatus.exception`), when the payload says. */
  readonly failureReason: string | null;
  /** Names of the shipment's tags. */
  readonly tags: readonly string[];
}
