import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Why the inbox page refused a replay request; the `reason` field of the JSON error body.
 * CSRF and origin failures answer 403, a form that is not URL-encoded 415, a larger one 413, a
 * missing or malformed field 400.
 */
export type VisiwiseInboxPageRejectionReason =
  | 'csrf_token_missing'
  | 'csrf_token_mismatch'
  | 'cross_site_request'
  | 'unsupported_media_type'
  | 'form_too_large'
  | 'invalid_form';

function statusFor(reason: VisiwiseInboxPageRejectionReason): HttpStatus {
  switch (reason) {
    case 'csrf_token_missing':
    case 'csrf_token_mismatch':
    case 'cross_site_request':
      return HttpStatus.FORBIDDEN;
    case 'unsupported_media_type':
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case 'form_too_large':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'invalid_form':
      return HttpStatus.BAD_REQUEST;
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

const STATUS_TEXT: Readonly<Partial<Record<HttpStatus, string>>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.FORBIDDEN]: 'Forbidden',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Payload Too Large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported Media Type',
};

/**
 * The exception the inbox page throws when it refuses a replay request before calling the
 * replayer (a missing or wrong CSRF token, a cross-site origin, a malformed form). Nest's exception
 * filter renders it as `{ statusCode, error, reason, message }`; `message` never holds a token.
 */
export class VisiwiseInboxPageException extends HttpException {
  /** Machine-readable cause, also in the response body. */
  readonly reason: VisiwiseInboxPageRejectionReason;

  constructor(reason: VisiwiseInboxPageRejectionReason, message: string) {
    const status = statusFor(reason);
    super({ statusCode: status, error: STATUS_TEXT[status] ?? 'Error', reason, message }, status);
    this.name = 'VisiwiseInboxPageException';
    this.reason = reason;
  }
}
