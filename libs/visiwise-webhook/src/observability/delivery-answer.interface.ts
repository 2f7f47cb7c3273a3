/**
 * How the webhook endpoint answered one request:
 * - `accepted`: verified and taken (handled inline, started in the background, or queued);
 * - `duplicate`: verified, but its `svix-id` was already taken, so it was acknowledged unhandled;
 * - `unparseable`: verified, but the body is not a usable envelope; kept in the dead letters and
 *   acknowledged;
 * - `rejected`: refused (unauthentic, stale, too large, store or queue down, a body or payload
 *   refused under `payloadValidation: 'strict'`, ...).
 */
export type VisiwiseDeliveryOutcome = 'accepted' | 'duplicate' | 'unparseable' | 'rejected';

/** Which endpoint (and tenant) a request reached. */
export interface DeliveryRoute {
  /** The endpoint's name; undefined for a path that is no endpoint. */
  readonly endpoint: string | undefined;
  /** The tenant of a tenant endpoint's route; undefined otherwise. */
  readonly tenant: string | undefined;
}

/**
 * The one decided answer to one request to the webhook endpoint, as every observer (metrics,
 * traces) sees it. The receive path builds it once, where the answer is decided, so that the
 * observers never disagree about what happened.
 */
export interface VisiwiseDeliveryAnswer extends Partial<DeliveryRoute> {
  /** What happened to the delivery. */
  readonly outcome: VisiwiseDeliveryOutcome;
  /**
   * The rejection reason (e.g. `invalid_signature`, `timestamp_too_old`, `queue_unavailable`) or
   * the envelope problem of an unparseable body (e.g. `invalid_json`); `undefined` for accepted
   * and duplicate deliveries. Always a value of a closed set, never free text.
   */
  readonly reason: string | undefined;
  /** The HTTP status answered. */
  readonly status: number;
  /** The `svix-id`, only when the signature verified (an unverified id is attacker-chosen). */
  readonly deliveryId: string | undefined;
  /** The event type, when the body was parsed far enough to know it. */
  readonly type: string | undefined;
  /** The verified `svix-timestamp`, for the delivery lag; `undefined` when not verified. */
  readonly signedAt: Date | undefined;
}

/** Where and how an event's handlers run: the delivery mode that ran them. */
export type VisiwiseHandlingMode = 'inline' | 'background' | 'queue';
