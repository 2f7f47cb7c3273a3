import type { VisiwiseUnparseableReason } from '../events/visiwise-event.parser';

/**
 * A verified delivery whose body could not be read as an event, as the dead letters keep it (JSON:
 * the raw body in base64, times as ISO strings): enough to see what arrived, to re-verify it
 * offline against the secret (`visiwise-webhook verify`), and to replay it once the cause is fixed.
 */
export interface UnparseableVisiwiseDelivery {
  readonly kind: 'unparseable';
  /** The delivery id (`svix-id`). */
  readonly id: string;
  /** The endpoint that received it (absent in entries kept before endpoints existed: `default`). */
  readonly endpoint?: string;
  /** The tenant of a tenant endpoint's route. */
  readonly tenant?: string;
  /** Why the body is not an event. */
  readonly reason: VisiwiseUnparseableReason;
  /** The reason in words, as the strict mode would have answered it. */
  readonly message: string;
  /** When this process received it (ISO-8601). */
  readonly receivedAt: string;
  /** The signed headers of the delivery, as received (the signature is a MAC, not the secret). */
  readonly headers: {
    readonly 'svix-id': string;
    readonly 'svix-timestamp': string;
    readonly 'svix-signature': string;
  };
  /** The exact bytes that were verified, base64. */
  readonly rawBody: string;
}

/** The raw bytes of an unparseable delivery. */
export function unparseableBody(delivery: UnparseableVisiwiseDelivery): Buffer {
  return Buffer.from(delivery.rawBody, 'base64');
}

/** Whether a stored value (a job's data, a store entry) is an unparseable delivery. */
export function isUnparseableDelivery(value: unknown): value is UnparseableVisiwiseDelivery {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'unparseable' &&
    typeof (value as { id?: unknown }).id === 'string' &&
    typeof (value as { rawBody?: unknown }).rawBody === 'string'
  );
}
