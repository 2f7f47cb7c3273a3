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
  /** What the platform's JSON parser made of the body (Express body-parser, Fastify's parser). */
  readonly body?: unknown;
  /** Client address as the platform computed it (honours Express `trust proxy` / Fastify `trustProxy`). */
  readonly ip?: string;
}

/** A request that passed the signature guard, with the exact bytes that were verified. */
export interface VerifiedWebhookRequest {
  readonly delivery: VerifiedVisiwiseDelivery;
  readonly rawBody: Buffer;
  /**
   * The platform's parse of `rawBody`, when Nest captured `rawBody` in the same parser call that
   * produced `request.body`; undefined otherwise (then the receiver parses `rawBody` itself).
   */
  readonly parsedBody: object | undefined;
}

// A property under a symbol that no other module holds: nothing from the network can set it
// (headers and JSON bodies have no symbol keys) and no other package can read it by name. (A
// WeakMap did the same at ~0.6 µs per delivery in a tight loop, most of it garbage-collector work
// on its entries; the property costs a few ns.)
const VERIFIED = Symbol('nestjs-visiwise-webhook.verified');

interface MarkedRequest {
  [VERIFIED]?: VerifiedWebhookRequest;
}

export function markVerified(request: object, verified: VerifiedWebhookRequest): void {
  (request as MarkedRequest)[VERIFIED] = verified;
}

/** The verification result of a request, if the guard accepted it. */
export function getVerified(request: object): VerifiedWebhookRequest | undefined {
  return (request as MarkedRequest)[VERIFIED];
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
  if (value === 'application/json') {
    // What Svix sends: no need to split and lower-case it.
    return true;
  }
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

/**
 * `request.body` when it is the platform's parse of `rawBody`: Nest sets `request.rawBody` in the
 * JSON parser call that sets `request.body`, so an object body next to that very buffer is the
 * parse of the verified bytes. Anything else (a raw body from elsewhere, a Buffer or string body,
 * an empty body, which Express turns into `{}`) gives undefined.
 */
export function platformParsedBody(
  request: WebhookHttpRequest,
  rawBody: Buffer,
): object | undefined {
  const body = request.body;
  return rawBody === request.rawBody &&
    rawBody.length > 0 &&
    typeof body === 'object' &&
    body !== null &&
    !ArrayBuffer.isView(body)
    ? body
    : undefined;
}
