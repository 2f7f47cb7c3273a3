/**
 * Why a delivery failed verification. Stable, machine-readable values:
 * - `missing_headers`: svix-id / svix-timestamp / svix-signature absent, empty or malformed id;
 * - `invalid_timestamp`: the timestamp is not a plain whole number of seconds;
 * - `timestamp_too_old` / `timestamp_too_new`: outside the tolerance window (replay protection);
 * - `invalid_signature`: no listed signature matches the body under any configured secret.
 */
export type VisiwiseSignatureFailureReason =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'invalid_signature';

/**
 * Thrown by {@link VisiwiseWebhookVerifier.verify} when a delivery is not authentic or not fresh.
 * It is the only error `verify()` throws; `reason` says which check failed and `message` says what
 * to do about it. Neither ever contains a secret.
 */
export class VisiwiseSignatureError extends Error {
  /** Which check failed. */
  readonly reason: VisiwiseSignatureFailureReason;

  constructor(reason: VisiwiseSignatureFailureReason, message: string) {
    super(message);
    this.name = 'VisiwiseSignatureError';
    this.reason = reason;
  }
}
