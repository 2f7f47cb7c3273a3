import type { IncomingHttpHeaders } from 'node:http';
import type { VerifiedVisiwiseDelivery } from '../signature/visiwise-webhook-verifier';

/**
 * The parts of an Express or Fastify request the webhook endpoint reads; the parameter of
 * {@link VisiwiseSignatureGuard}'s overridable steps.
 */
export interface WebhookHttpRequest {
  readonly headers: IncomingHttpHeaders;
  /** Set by Nest when the app was created with `rawBody: true`. */
  readonly rawBody?: Buffer;
  /** Client address as the platform computed it (honours Express `trust proxy` / Fastify `trustProxy`). */
  readonly ip?: string;
}

/** A request that passed the signature guard, with the exact bytes that were verified. */
export interface VerifiedWebhookRequest {
  readonly delivery: VerifiedVisiwiseDelivery;
  readonly rawBody: Buffer;
}

// A WeakMap rather than a property on the request: nothing downstream can forge or overwrite it,
// and it disappears with the request.
const verifiedRequests = new WeakMap<object, VerifiedWebhookRequest>();

export function markVerified(request: object, verified: VerifiedWebhookRequest): void {
  verifiedRequests.set(request, verified);
}

/** The verification result of a request, if the guard accepted it. */
export function getVerified(request: object): VerifiedWebhookRequest | undefined {
  return verifiedRequests.get(request);
}

/** Whether the request announces a body (RFC 9112: Content-Length > 0 or Transfer-Encoding). */
export function announcesBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) {
    return true;
  }
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * `application/json`, parameters (charset) ignored. Svix always sends exactly that; `+json` types
 * are refused too because Nest's raw-body capture (Express) only covers `application/json`.
 */
export function isJsonContentType(headers: IncomingHttpHeaders): boolean {
  const value = headers['content-type'];
  if (typeof value !== 'string') {
    return false;
  }
  const mediaType = (value.split(';', 1)[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json';
}

/** The declared Content-Length, if it is a plain number. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['content-length'];
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
