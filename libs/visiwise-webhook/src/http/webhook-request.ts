import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedEndpoint } from '../endpoints/endpoint-config';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
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
  /** The route's parameters (which endpoint and tenant the path names). */
  readonly params?: Readonly<Record<string, string | undefined>>;
}

/** A request that passed the signature guard, with the exact bytes that were verified. */
export interface VerifiedWebhookRequest {
  readonly delivery: VerifiedVisiwiseDelivery;
  readonly rawBody: Buffer;
  /** The request's headers (read only for a body kept as unparseable). */
  readonly headers: IncomingHttpHeaders;
  /** The request's receive span, ended when its answer is decided; undefined without tracing. */
  readonly trace: DeliveryTrace | undefined;
  /**
   * The platform's parse of `rawBody`, when Nest captured `rawBody` in the same parser call that
   * produced `request.body`; undefined otherwise (then the receiver parses `rawBody` itself).
   */
  readonly parsedBody: object | undefined;
  /** The endpoint the request reached. */
  readonly endpoint: ResolvedEndpoint;
  /** The tenant of a tenant endpoint's route; undefined otherwise. */
  readonly tenant: string | undefined;
}

// Verified deliveries on their way from the guard to the module's controller, keyed by request:
// nothing from the network can add an entry and no other package can read one. The controller
// takes its entry out as it reads it, so an entry lives for the few microseconds between the two.
// (Left to the collector, entries of finished requests kept their raw and parsed bodies alive long
// after the response: +65 MB peak RSS under load on Fastify. A property under a private symbol
// avoided that but costs Express ~7k instructions a request: adding a property to Express's `req`
// takes V8's slow path.)
const handOff = new WeakMap<object, VerifiedWebhookRequest>();

// The controller classes that take the hand-off: the guard records nothing for any other route
// (an application's own route behind the guard), where no one would take the entry out.
const receivingControllers = new WeakSet();

/** Declares that the routes of this controller class take the guard's result ({@link takeVerified}). */
export function receivesVerifiedDelivery(controller: object): void {
  receivingControllers.add(controller);
}

/** Whether the guard should hand its result to the routes of this controller class. */
export function isReceivingController(controller: unknown): boolean {
  return typeof controller === 'function' && receivingControllers.has(controller);
}

export function markVerified(request: object, verified: VerifiedWebhookRequest): void {
  handOff.set(request, verified);
}

/**
 * The verification result of a request, if the guard accepted it; removed as it is read, so that a
 * second read finds nothing.
 */
export function takeVerified(request: object): VerifiedWebhookRequest | undefined {
  const verified = handOff.get(request);
  if (verified !== undefined) {
    handOff.delete(request);
  }
  return verified;
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
