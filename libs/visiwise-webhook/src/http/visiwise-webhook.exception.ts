import { HttpException, HttpStatus } from '@nestjs/common';
import type { VisiwiseEnvelopeProblem } from '../events/visiwise-event.parser';
import type {
  DeliveryRoute,
  VisiwiseDeliveryAnswer,
} from '../observability/delivery-answer.interface';
import type { VisiwiseSignatureFailureReason } from '../signature/visiwise-signature.error';

/**
 * Why the webhook endpoint refused a delivery; it is the `reason` field of the JSON error body.
 * Signature reasons answer 401, media type 415, envelope problems 400; a duplicate of a delivery
 * still being handled 409; handler failures and a missing raw body 500; an unavailable store or
 * queue, or an instance shutting down, 503. Visiwise retries everything but 2xx.
 */
export type VisiwiseWebhookRejectionReason =
  | VisiwiseSignatureFailureReason
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'ip_not_allowed'
  | VisiwiseEnvelopeProblem
  | 'raw_body_unavailable'
  | 'handler_failed'
  | 'delivery_in_progress'
  | 'store_unavailable'
  | 'queue_unavailable'
  | 'shutting_down'
  | 'unknown_endpoint'
  | 'tenant_lookup_failed'
  | 'inbox_unavailable';

/** The HTTP status of each rejection reason. */
export function statusForReason(reason: VisiwiseWebhookRejectionReason): HttpStatus {
  switch (reason) {
    case 'missing_headers':
    case 'invalid_timestamp':
    case 'timestamp_too_old':
    case 'timestamp_too_new':
    case 'invalid_signature':
      return HttpStatus.UNAUTHORIZED;
    case 'unsupported_media_type':
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case 'payload_too_large':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'ip_not_allowed':
      return HttpStatus.FORBIDDEN;
    case 'invalid_json':
    case 'json_too_deep':
    case 'invalid_envelope':
    case 'invalid_event_type':
    case 'invalid_payload':
      return HttpStatus.BAD_REQUEST;
    case 'delivery_in_progress':
      return HttpStatus.CONFLICT;
    case 'unknown_endpoint':
      return HttpStatus.NOT_FOUND;
    case 'raw_body_unavailable':
    case 'handler_failed':
      return HttpStatus.INTERNAL_SERVER_ERROR;
    case 'store_unavailable':
    case 'queue_unavailable':
    case 'shutting_down':
    case 'tenant_lookup_failed':
    case 'inbox_unavailable':
      return HttpStatus.SERVICE_UNAVAILABLE;
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

const STATUS_TEXT: Readonly<Partial<Record<HttpStatus, string>>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.UNAUTHORIZED]: 'Unauthorized',
  [HttpStatus.FORBIDDEN]: 'Forbidden',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Payload Too Large',
  [HttpStatus.CONFLICT]: 'Conflict',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported Media Type',
  [HttpStatus.INTERNAL_SERVER_ERROR]: 'Internal Server Error',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'Service Unavailable',
};

/** JSON body of every refusal: `{ statusCode, error, reason, message }`. */
export interface VisiwiseWebhookErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly reason: VisiwiseWebhookRejectionReason;
  readonly message: string;
}

/**
 * The exception the webhook endpoint throws when it refuses a delivery. Nest's exception filter
 * renders it on Express and Fastify as `{ statusCode, error, reason, message }`, with the status
 * that fits the reason. `message` tells the sender what to fix and never holds a secret.
 */
export class VisiwiseWebhookException extends HttpException {
  /** Machine-readable cause, also in the response body. */
  readonly reason: VisiwiseWebhookRejectionReason;

  constructor(reason: VisiwiseWebhookRejectionReason, message: string) {
    const status = statusForReason(reason);
    const body: VisiwiseWebhookErrorBody = {
      statusCode: status,
      error: STATUS_TEXT[status] ?? 'Error',
      reason,
      message,
    };
    super(body, status);
    this.name = 'VisiwiseWebhookException';
    this.reason = reason;
  }
}

/**
 * The telemetry's record of a refused delivery (type and signed time when they were read): the
 * exception's reason and status, or `internal_error` and 500 for anything else, which Nest
 * answers 500.
 */
export function refusalAnswer(
  error: unknown,
  delivery: { readonly id: string; readonly timestamp: Date } | undefined,
  type: string | undefined,
  route: DeliveryRoute | undefined,
): VisiwiseDeliveryAnswer {
  const known = error instanceof VisiwiseWebhookException;
  return {
    endpoint: route?.endpoint,
    tenant: route?.tenant,
    outcome: 'rejected',
    reason: known ? error.reason : 'internal_error',
    status: known ? error.getStatus() : 500,
    deliveryId: delivery?.id,
    type,
    signedAt: delivery?.timestamp,
  };
}
